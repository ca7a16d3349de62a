"""Access tokens: short-lived HS256 JWTs whose every security-relevant claim is verified."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from common.settings import AdminSettings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Tolerates small clock differences between admin processes; far below the token lifetime.
LEEWAY_S = 5


class InvalidToken(Exception):
    """The access token is missing a claim, expired, forged, or not meant for us."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


def issue_access_token(settings: AdminSettings, *, user_id: int, now: float | None = None) -> AccessToken:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": str(user_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + settings.access_token_ttl,
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
    return AccessToken(token=token, expires_in=settings.access_token_ttl)


def decode_access_token(settings: AdminSettings, token: str) -> int:
    """The user id of a valid access token.

    Only HS256 is accepted (never ``none`` or an algorithm the header picks), and exp, iat,
    iss, aud and sub must all be present and right.

    Raises:
        InvalidToken: with a short reason safe to show the caller.
    """
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
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
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit():
        raise InvalidToken("the access token is invalid")
    return int(subject)
