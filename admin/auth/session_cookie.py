"""The browser session: the refresh token in an HttpOnly cookie, and the header that defends it from CSRF.

The dashboard keeps its access token in memory only; its refresh token lives in the ``hop_refresh``
cookie, which scripts cannot read (HttpOnly), which the browser sends only to the session
endpoints (Path) and never with a request another site starts (SameSite=Strict), and only over
HTTPS (Secure, left out only when HOP_ENVIRONMENT is local or test, which serve plain HTTP).

The endpoints that spend or end the cookie's session also need ``X-Hop-CSRF: 1``: a cross-site form
cannot send a custom header, and a cross-origin fetch that does needs a CORS preflight, which the
admin never grants (it configures no CORS). docs/security.md, "Accounts and sessions".
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Annotated, Final

from fastapi import Header

from admin.problems import Problem
from common.settings import AdminSettings

COOKIE_NAME: Final = "hop_refresh"
# The session endpoints (admin/routes/session.py) under the API prefix; nothing else gets the cookie.
COOKIE_PATH: Final = "/api/v1/auth/session"
CSRF_HEADER: Final = "X-Hop-CSRF"
CSRF_VALUE: Final = "1"
# Environments served over plain HTTP, where a Secure cookie would never come back.
PLAIN_HTTP_ENVIRONMENTS: Final = frozenset({"local", "test"})


def refresh_cookie(settings: AdminSettings, token: str | None) -> str:
    """The Set-Cookie value that stores ``token``, or, for None, clears the cookie (same attributes, Max-Age=0)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE_NAME] = token or ""
    morsel = cookie[COOKIE_NAME]
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    morsel["path"] = COOKIE_PATH
    morsel["max-age"] = settings.refresh_token_ttl if token else 0
    if settings.environment not in PLAIN_HTTP_ENVIRONMENTS:
        morsel["secure"] = True
    return morsel.OutputString()


def clear_refresh_cookie(settings: AdminSettings) -> dict[str, str]:
    """Headers that clear the cookie, for a response or a Problem."""
    return {"Set-Cookie": refresh_cookie(settings, None)}


async def require_csrf_header(
    x_hop_csrf: Annotated[
        str | None,
        Header(
            alias=CSRF_HEADER,
            description=f"Must be `{CSRF_VALUE}`: proves the request comes from the dashboard's own scripts.",
        ),
    ] = None,
) -> None:
    """403 ``csrf_required`` unless the request carries ``X-Hop-CSRF: 1``."""
    if x_hop_csrf != CSRF_VALUE:
        raise Problem.forbidden(f"send the header {CSRF_HEADER}: {CSRF_VALUE} with this request", code="csrf_required")
