"""FastAPI dependencies: the stores and settings of the app, and who is calling.

Routes declare ``principal: Principal = Depends(current_user)``; admin-only routes use
``require_admin``. Either an ``Authorization: Bearer <access JWT>`` or an ``X-API-Key`` header
authenticates; the user is re-read from Postgres on every request, so disabling an account or
demoting an admin takes effect at once, not when the token expires.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from admin.apikeys import user_id_for_key
from admin.auth.principal import Principal
from admin.auth.tokens import InvalidToken, decode_access_token
from admin.problems import Problem
from admin.users import get_user
from common.settings import AdminSettings
from common.stores import Stores

__all__ = ["Principal", "current_user", "get_settings", "get_stores", "optional_user", "require_admin"]

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
    if bearer is not None:
        user_id = _access_token_user(get_settings(request), bearer)
    elif api_key is not None:
        user_id = await _api_key_user(get_stores(request), api_key)
    else:
        return None
    user = await get_user(get_stores(request).pool, user_id)
    if user is None:
        raise Problem.unauthorized("the account no longer exists", code="invalid_token")
    if user.disabled:
        raise Problem.forbidden("this account is disabled", code="account_disabled")
    return Principal(id=user.id, email=user.email, is_admin=user.is_admin)


def _access_token_user(settings: AdminSettings, bearer: HTTPAuthorizationCredentials) -> int:
    try:
        return decode_access_token(settings, bearer.credentials)
    except InvalidToken as error:
        raise Problem.unauthorized(str(error), code="invalid_token") from None


async def _api_key_user(stores: Stores, api_key: str) -> int:
    user_id = await user_id_for_key(stores.pool, api_key)
    if user_id is None:
        raise Problem.unauthorized("the API key is invalid or revoked", code="invalid_api_key")
    return user_id


async def current_user(principal: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    """The authenticated caller; answers 401 when there are no credentials."""
    if principal is None:
        raise Problem.unauthorized()
    return principal


async def require_admin(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not principal.is_admin:
        raise Problem.forbidden("this needs an admin account", code="admin_required")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(require_admin)]
StoresDep = Annotated[Stores, Depends(get_stores)]
SettingsDep = Annotated[AdminSettings, Depends(get_settings)]
