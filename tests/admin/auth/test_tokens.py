"""Access-token attacks: alg=none, wrong key, tampering, expiry, wrong audience/issuer, missing claims."""

from __future__ import annotations

import base64
import time
import warnings
from collections.abc import Callable

import jwt
import orjson
import pytest
from starlette.testclient import TestClient

from admin.auth.tokens import InvalidToken, decode_access_token, issue_access_token
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


def _hs512() -> str:
    # PyJWT warns that the key is short for SHA-512; the point here is only that HS512 is refused.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm="HS512")


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
    "wrong key": lambda: jwt.encode(_claims(), "another-secret-of-at-least-32-bytes!!", algorithm="HS256"),
    "expired": lambda: jwt.encode(
        _claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 60), SETTINGS.jwt_secret, algorithm="HS256"
    ),
    "wrong audience": lambda: jwt.encode(_claims(aud="someone-else"), SETTINGS.jwt_secret, algorithm="HS256"),
    "wrong issuer": lambda: jwt.encode(_claims(iss="evil"), SETTINGS.jwt_secret, algorithm="HS256"),
    "no exp": lambda: jwt.encode(_claims(exp=None), SETTINGS.jwt_secret, algorithm="HS256"),
    "no iat": lambda: jwt.encode(_claims(iat=None), SETTINGS.jwt_secret, algorithm="HS256"),
    "no aud": lambda: jwt.encode(_claims(aud=None), SETTINGS.jwt_secret, algorithm="HS256"),
    "issued in the future": lambda: jwt.encode(
        _claims(iat=int(time.time()) + 600, exp=int(time.time()) + 900), SETTINGS.jwt_secret, algorithm="HS256"
    ),
    "HS512 with the right key": lambda: _hs512(),
    "non-numeric subject": lambda: jwt.encode(_claims(sub="admin"), SETTINGS.jwt_secret, algorithm="HS256"),
    "garbage": lambda: "not.a.jwt",
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
    if attack == "expired":
        return jwt.encode(
            _claims(sub=str(account.id), iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
            settings.jwt_secret,
            algorithm="HS256",
        )
    if attack == "wrong audience":
        return jwt.encode(_claims(sub=str(account.id), aud="other"), settings.jwt_secret, algorithm="HS256")
    assert attack == "wrong key"
    return jwt.encode(_claims(sub=str(account.id)), "x" * 40, algorithm="HS256")


def test_the_api_answers_401_problems_to_bad_tokens(client: TestClient, alice: Account, settings: Settings) -> None:
    for attack in ("none", "tampered", "expired", "wrong audience", "wrong key"):
        token = _forge_for(alice, settings, attack)
        response = client.get("/api/v1/links", headers={"Authorization": f"Bearer {token}"})
        problem = assert_problem(response, 401, "invalid_token")
        assert ("expired" in problem["detail"]) == (attack == "expired"), attack
    # The genuine token still works: the 401s are about the forgeries, not the account.
    assert client.get("/api/v1/links", headers=alice.headers).status_code == 200
