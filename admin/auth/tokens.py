"""Access tokens: short-lived HS256 JWTs whose every security-relevant claim is verified.

Each token names the key that signed it in its ``kid`` header: a short hash of the key, never
the key. Tokens of HOP_JWT_SECRET verify, and so do those of HOP_JWT_PREVIOUS_SECRET while it is
set, so that a rotation can be graceful; any other ``kid``, or none, is refused. Refresh tokens
record the same key id (admin/auth/refresh.py).

``iat`` is the issuing time to the microsecond (a JSON number with a fraction, which RFC 7519's
NumericDate allows), not whole seconds: a password change refuses every access token issued
before it (admin/auth/deps.py), and a token issued in the same second but after the change (a
sign-in with the new password) must still work.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from common.settings import AdminSettings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Tolerates small clock differences between admin processes; far below the token lifetime.
LEEWAY_S = 5


class InvalidToken(Exception):
    """The access token is missing a claim, expired, forged, or not meant for us."""


@lru_cache(maxsize=8)
def key_id(secret: str) -> str:
    """The public name of an HS256 key: 16 hex digits of a labelled SHA-256 of it.

    It reveals nothing a token's signature does not already: both can only be checked by guessing the key.
    """
    return hashlib.sha256(b"hop-jwt-kid\x00" + secret.encode()).hexdigest()[:16]


def current_key_id(settings: AdminSettings) -> str:
    """The key id new tokens (access and refresh) are issued under."""
    return key_id(settings.jwt_secret)


def accepted_key_ids(settings: AdminSettings) -> tuple[str, ...]:
    """The key ids whose tokens are still honoured: the current key's, and the previous key's if set."""
    previous = settings.jwt_previous_secret
    return (key_id(settings.jwt_secret),) + ((key_id(previous),) if previous else ())


def _secret_for(settings: AdminSettings, kid: object) -> str | None:
    for secret in (settings.jwt_secret, settings.jwt_previous_secret):
        if secret is not None and kid == key_id(secret):
            return secret
    return None


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says: whose it is, and when it was issued (Unix seconds)."""

    user_id: int
    issued_at: float


def issue_access_token(settings: AdminSettings, *, user_id: int, now: float | None = None) -> AccessToken:
    issued = round(now if now is not None else time.time(), 6)
    claims = {
        "sub": str(user_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": int(issued) + settings.access_token_ttl,
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM, headers={"kid": current_key_id(settings)})
    return AccessToken(token=token, expires_in=settings.access_token_ttl)


def decode_access_token(settings: AdminSettings, token: str) -> int:
    """The user id of a valid access token (see decode_access_claims).

    Raises:
        InvalidToken: with a short reason safe to show the caller.
    """
    return decode_access_claims(settings, token).user_id


def decode_access_claims(settings: AdminSettings, token: str) -> AccessClaims:
    """The user id and issuing time of a valid access token.

    Only HS256 is accepted (never ``none`` or an algorithm the header picks), the ``kid`` must
    name the current or the previous key, and exp, iat, iss, aud and sub must all be present and right.

    Raises:
        InvalidToken: with a short reason safe to show the caller.
    """
    try:
        secret = _secret_for(settings, jwt.get_unverified_header(token).get("kid"))
    except jwt.PyJWTError:
        raise InvalidToken("the access token is invalid") from None
    if secret is None:
        raise InvalidToken("the access token is invalid or its signing key was retired")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_S,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("the access token is invalid") from None
    subject, issued_at = claims["sub"], claims["iat"]
    if not isinstance(subject, str) or not subject.isdigit():
        raise InvalidToken("the access token is invalid")
    # PyJWT also takes a numeric string for iat; only a JSON number is one.
    if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
        raise InvalidToken("the access token is invalid")
    return AccessClaims(user_id=int(subject), issued_at=float(issued_at))
