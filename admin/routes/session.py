"""Browser sessions: sign in with the refresh token in an HttpOnly cookie, and sign out everywhere.

``POST /auth/session`` signs in as /auth/login does (admin/routes/auth.py ``authenticate``: the
same throttling and answers) but answers only the access token: the refresh token goes into the
``hop_refresh`` cookie (admin/auth/session_cookie.py) and never into a response body. Spending or
ending the cookie's session needs ``X-Hop-CSRF: 1``. ``POST /users/me/sessions/revoke`` ends every
session of the account, cookie or not. docs/security.md, "Accounts and sessions".
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Depends, Request, Response
from pydantic import BaseModel, Field

from admin.auth.deps import SessionUser, SettingsDep, StoresDep
from admin.auth.refresh import RefreshRejected, revoke_refresh_token
from admin.auth.session_cookie import clear_refresh_cookie, refresh_cookie, require_csrf_header
from admin.problems import Problem, problem_responses
from admin.routes.audit import RequestActor
from admin.routes.auth import LoginIn, TokenPair, authenticate, rotated_pair, token_pair
from admin.users import UserNotFound, end_sessions
from common.settings import AdminSettings
from common.stores import Stores

router = APIRouter(tags=["auth"])

CsrfChecked = [Depends(require_csrf_header)]
SessionCookie = Annotated[
    str | None, Cookie(description="The session's refresh token, set by the session endpoints; scripts never see it.")
]


class Session(BaseModel):
    """A signed-in browser session: the access token (keep it in memory); the refresh token is in the cookie."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires; then POST /auth/session/refresh.")


def session_response(pair: TokenPair, response: Response, settings: AdminSettings) -> Session:
    """The Session answer of ``pair``; its refresh token goes into the cookie of ``response``."""
    response.headers.append("Set-Cookie", refresh_cookie(settings, pair.refresh_token))
    return Session(access_token=pair.access_token, expires_in=pair.expires_in)


async def start_session(stores: Stores, settings: AdminSettings, user_id: int, response: Response) -> Session:
    """A new session of the user (a new refresh token family), its refresh token in the cookie."""
    return session_response(await token_pair(stores, settings, user_id), response, settings)


def _no_session(settings: AdminSettings, error: RefreshRejected | None = None) -> Problem:
    detail = str(error) if error is not None else "no session cookie; sign in"
    code = error.code if error is not None else "invalid_refresh_token"
    headers = {"WWW-Authenticate": 'Bearer realm="hop"', **clear_refresh_cookie(settings)}
    return Problem(401, code, detail, headers=headers)


@router.post("/auth/session", response_model=Session, responses=problem_responses(401, 403, 413, 422, 429))
async def sign_in(
    body: LoginIn, request: Request, response: Response, stores: StoresDep, settings: SettingsDep
) -> Session:
    """Sign in a browser: the same checks, throttling and errors as POST /auth/login, but the refresh
    token is set as the HttpOnly ``hop_refresh`` cookie instead of being answered."""
    user = await authenticate(body, request, stores, settings)
    return await start_session(stores, settings, user.id, response)


@router.post(
    "/auth/session/refresh",
    response_model=Session,
    dependencies=CsrfChecked,
    responses=problem_responses(401, 403, 422),
)
async def refresh_session(
    response: Response, stores: StoresDep, settings: SettingsDep, hop_refresh: SessionCookie = None
) -> Session:
    """Spend the cookie's refresh token for a new access token and a new cookie (rotation: reusing a
    spent token ends its whole family, as POST /auth/refresh does). Needs ``X-Hop-CSRF: 1``.

    Without a valid cookie: 401, and the cookie is cleared.
    """
    if not hop_refresh:
        raise _no_session(settings)
    try:
        pair = await rotated_pair(stores, settings, hop_refresh)
    except RefreshRejected as error:
        raise _no_session(settings, error) from None
    return session_response(pair, response, settings)


@router.delete(
    "/auth/session",
    status_code=204,
    response_class=Response,
    dependencies=CsrfChecked,
    responses=problem_responses(403, 422),
)
async def sign_out(stores: StoresDep, settings: SettingsDep, hop_refresh: SessionCookie = None) -> Response:
    """Sign this browser out: the cookie's refresh token family is revoked and the cookie cleared.
    204 also without a cookie. Needs ``X-Hop-CSRF: 1``. The access token lives until it expires
    (minutes): the dashboard forgets it; to end every token now, use POST /users/me/sessions/revoke."""
    if hop_refresh:
        await revoke_refresh_token(stores.pool, token=hop_refresh)
    return Response(status_code=204, headers=clear_refresh_cookie(settings))


# Kept the last route of the last router module: it ends the caller's own tokens too, and the
# OpenAPI fuzz test (tests/admin/test_schemathesis.py) walks the routes with one token, in this order.
@router.post(
    "/users/me/sessions/revoke",
    status_code=204,
    response_class=Response,
    tags=["users"],
    responses=problem_responses(401, 403),
)
async def sign_out_everywhere(
    principal: SessionUser, actor: RequestActor, stores: StoresDep, settings: SettingsDep
) -> Response:
    """Sign out everywhere (a signed-in session, never an API key): every refresh token of the account
    is revoked and every access token issued until now refused, this request's own included; the
    cookie is cleared. API keys keep working: revoke them with DELETE /api-keys/{key_id}."""
    try:
        await end_sessions(pool=stores.pool, user_id=principal.id, actor=actor)
    except UserNotFound:
        raise Problem.unauthorized("the account no longer exists", code="invalid_token") from None
    return Response(status_code=204, headers=clear_refresh_cookie(settings))
