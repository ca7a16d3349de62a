"""Access-token attacks: alg=none, wrong key, tampering, expiry, wrong audience/issuer, missing claims, key ids."""

from __future__ import annotations

import base64
import time
import warnings
from collections.abc import Callable

import jwt
import orjson
import pytest
from starlette.testclient import TestClient

from admin.auth.tokens import InvalidToken, decode_access_token, issue_access_token, key_id
from common.settings import Settings
from tests.admin.api import Account, assert_problem

SETTINGS = Settings(environment="test")


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "1",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, object], key: str = SETTINGS.jwt_secret, *, kid: str | None = None) -> str:
    """``claims`` signed with HS256 under ``key``, naming the current key (or ``kid``): each attack
    below then fails for its own reason, not for a missing or unknown key id."""
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid or key_id(SETTINGS.jwt_secret)})


def _hs512() -> str:
    # PyJWT warns that the key is short for SHA-512; the point here is only that HS512 is refused.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(
            _claims(), SETTINGS.jwt_secret, algorithm="HS512", headers={"kid": key_id(SETTINGS.jwt_secret)}
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_fresh_token_decodes_to_its_user() -> None:
    token = issue_access_token(SETTINGS, user_id=42)
    assert token.expires_in == SETTINGS.access_token_ttl
    assert decode_access_token(SETTINGS, token.token) == 42


def test_alg_none_is_refused() -> None:
    header = _b64(orjson.dumps({"alg": "none", "typ": "JWT"}))
    unsigned = f"{header}.{_b64(orjson.dumps(_claims()))}."
    with pytest.raises(InvalidToken):
        decode_access_token(SETTINGS, unsigned)


ATTACKS: dict[str, Callable[[], str]] = {
    "wrong key": lambda: _sign(_claims(), "another-secret-of-at-least-32-bytes!!"),
    "expired": lambda: _sign(_claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 60)),
    "wrong audience": lambda: _sign(_claims(aud="someone-else")),
    "wrong issuer": lambda: _sign(_claims(iss="evil")),
    "no exp": lambda: _sign(_claims(exp=None)),
    "no iat": lambda: _sign(_claims(iat=None)),
    "no aud": lambda: _sign(_claims(aud=None)),
    "issued in the future": lambda: _sign(_claims(iat=int(time.time()) + 600, exp=int(time.time()) + 900)),
    "HS512 with the right key": lambda: _hs512(),
    "non-numeric subject": lambda: _sign(_claims(sub="admin")),
    "garbage": lambda: "not.a.jwt",
    "no key id": lambda: jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm="HS256"),
    "unknown key id": lambda: _sign(_claims(), kid=key_id("a retired secret of at least 32 bytes")),
    "key id of another key": lambda: _sign(_claims(), "another-secret-of-at-least-32-bytes!!"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forged_or_stale_tokens_are_refused(attack: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(SETTINGS, ATTACKS[attack]())


def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = issue_access_token(SETTINGS, user_id=1).token.split(".")
    forged_payload = _b64(orjson.dumps(_claims(sub="2")))
    with pytest.raises(InvalidToken):
        decode_access_token(SETTINGS, f"{header}.{forged_payload}.{signature}")


def _forge_for(account: Account, settings: Settings, attack: str) -> str:
    if attack == "none":
        header = _b64(orjson.dumps({"alg": "none", "typ": "JWT"}))
        claims = {**_claims(sub=str(account.id)), "iss": settings.jwt_issuer, "aud": settings.jwt_audience}
        return f"{header}.{_b64(orjson.dumps(claims))}."
    if attack == "tampered":
        header, payload, signature = account.access_token.split(".")
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["sub"] = str(account.id + 1000)
        return f"{header}.{_b64(orjson.dumps(claims))}.{signature}"
    kid = key_id(settings.jwt_secret)
    if attack == "expired":
        return _sign(
            _claims(sub=str(account.id), iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
            settings.jwt_secret,
            kid=kid,
        )
    if attack == "wrong audience":
        return _sign(_claims(sub=str(account.id), aud="other"), settings.jwt_secret, kid=kid)
    assert attack == "wrong key"
    return _sign(_claims(sub=str(account.id)), "x" * 40, kid=kid)


def test_the_api_answers_401_problems_to_bad_tokens(client: TestClient, alice: Account, settings: Settings) -> None:
    for attack in ("none", "tampered", "expired", "wrong audience", "wrong key"):
        token = _forge_for(alice, settings, attack)
        response = client.get("/api/v1/links", headers={"Authorization": f"Bearer {token}"})
        problem = assert_problem(response, 401, "invalid_token")
        assert ("expired" in problem["detail"]) == (attack == "expired"), attack
    # The genuine token still works: the 401s are about the forgeries, not the account.
    assert client.get("/api/v1/links", headers=alice.headers).status_code == 200
