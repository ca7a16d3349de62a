"""FastAPI dependencies: the stores and settings of the app, and who is calling.

Routes declare who may call them with the annotated types at the end of this module:
``CurrentUser`` (anyone signed in, any API key), ``LinksRead``/``LinksWrite``/``AnalyticsRead``
(a session, or an API key with that scope), ``SessionUser`` (a session only: managing API keys
and passwords) and ``AdminUser`` (an admin's session: managing users). Either an
``Authorization: Bearer <access JWT>`` or an ``X-API-Key`` header authenticates; the user is
re-read from Postgres on every request, so disabling an account or demoting an admin takes
effect at once, not when the token expires. That row also ends the access tokens of a password
change or reset, and of signing out everywhere: one issued before the user's
``password_changed_at`` or ``sessions_revoked_at`` is refused (401 ``invalid_token``), without a
query of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from admin.apikeys import KeyGrant, grant_for_key
from admin.auth.principal import Principal, Scope
from admin.auth.tokens import AccessClaims, InvalidToken, decode_access_claims
from admin.problems import Problem
from admin.users import User, get_user
from common.settings import AdminSettings
from common.stores import Stores

__all__ = [
    "Principal",
    "current_user",
    "get_settings",
    "get_stores",
    "optional_user",
    "require_admin",
    "require_scope",
    "require_session",
]

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="A key from POST /api/v1/api-keys")


def get_stores(request: Request) -> Stores:
    state: Any = request.state
    stores: Stores = state.stores
    return stores


def get_settings(request: Request) -> AdminSettings:
    state: Any = request.state
    settings: AdminSettings = state.settings
    return settings


async def optional_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal | None:
    """The caller, or None when no credentials were sent. Bad credentials are always a 401."""
    grant: KeyGrant | None = None
    claims: AccessClaims | None = None
    if bearer is not None:
        claims = _access_token_claims(get_settings(request), bearer)
        user_id = claims.user_id
    elif api_key is not None:
        grant = await _api_key_grant(get_stores(request), api_key)
        user_id = grant.user_id
    else:
        return None
    user = await get_user(get_stores(request).pool, user_id)
    if user is None:
        raise Problem.unauthorized("the account no longer exists", code="invalid_token")
    if claims is not None:
        _refuse_ended_session(claims, user)
    if user.disabled:
        raise Problem.forbidden("this account is disabled", code="account_disabled")
    scopes = grant.scopes if grant is not None else None
    return Principal(id=user.id, email=user.email, is_admin=user.is_admin, scopes=scopes)


def _access_token_claims(settings: AdminSettings, bearer: HTTPAuthorizationCredentials) -> AccessClaims:
    try:
        return decode_access_claims(settings, bearer.credentials)
    except InvalidToken as error:
        raise Problem.unauthorized(str(error), code="invalid_token") from None


def _refuse_ended_session(claims: AccessClaims, user: User) -> None:
    """A 401 for an access token issued before the user's sessions ended: by a new password, or by
    signing out everywhere (whichever came last, both are checked)."""
    if _issued_before(claims, user.password_changed_at):
        raise Problem.unauthorized("the password has changed since this token was issued", code="invalid_token")
    if _issued_before(claims, user.sessions_revoked_at):
        raise Problem.unauthorized("the account was signed out everywhere since this token was issued", "invalid_token")


def _issued_before(claims: AccessClaims, ended_at: datetime | None) -> bool:
    """Whether the token may predate ``ended_at`` (the user's last password change or reset, or
    their last sign-out everywhere).

    Both times are to the microsecond (tokens carry a fractional ``iat``), so a sign-in in the same
    second as the change, but after it, keeps its token. A whole-second ``iat`` (a token of an older
    release) was issued at that second or later within it: compared as it is, it is refused unless
    its whole second follows the change, so it can never outlive one.
    """
    return ended_at is not None and claims.issued_at <= ended_at.timestamp()


async def _api_key_grant(stores: Stores, api_key: str) -> KeyGrant:
    grant = await grant_for_key(stores.pool, api_key)
    if grant is None:
        raise Problem.unauthorized("the API key is invalid or revoked", code="invalid_api_key")
    return grant


async def current_user(principal: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """The authenticated caller; answers 401 when there are no credentials."""
    if principal is None:
        raise Problem.unauthorized()
    return principal


async def require_session(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The caller, signed in with an access token: API keys get a 403 whatever their scopes."""
    if principal.is_api_key:
        raise Problem.forbidden(
            "an API key cannot manage API keys, passwords or users; sign in for that", code="session_required"
        )
    return principal


async def require_admin(principal: Annotated[Principal, Depends(require_session)]) -> Principal:
    """The caller, who must be an admin with a session (403 otherwise)."""
    if not principal.is_admin:
        raise Problem.forbidden("this needs an admin account", code="admin_required")
    return principal


@cache
def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller, who must be a session or an API key with ``scope`` (403 otherwise).

    Use it as ``principal: LinksWrite`` (the annotated types below), or as
    ``dependencies=[Depends(require_scope("links:write"))]`` on a route that needs no principal.
    """

    async def scoped(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
        if not principal.has_scope(scope):
            raise Problem.forbidden(f"this API key lacks the {scope} scope", code="insufficient_scope")
        return principal

    scoped.__name__ = f"require_scope_{scope.replace(':', '_')}"
    return scoped


CurrentUser = Annotated[Principal, Depends(current_user)]
SessionUser = Annotated[Principal, Depends(require_session)]
AdminUser = Annotated[Principal, Depends(require_admin)]
LinksRead = Annotated[Principal, Depends(require_scope("links:read"))]
LinksWrite = Annotated[Principal, Depends(require_scope("links:write"))]
AnalyticsRead = Annotated[Principal, Depends(require_scope("analytics:read"))]
StoresDep = Annotated[Stores, Depends(get_stores)]
SettingsDep = Annotated[AdminSettings, Depends(get_settings)]
