"""/users: the caller's own account, and user administration for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from admin.auth.deps import AdminUser, CurrentUser, StoresDep
from admin.auth.passwords import MAX_PASSWORD_LENGTH, hash_password_async, verify_password_async
from admin.problems import Problem, problem_responses
from admin.text import NO_NUL_PATTERN
from admin.users import (
    Password,
    UserNotFound,
    UserPublic,
    UsersPublic,
    get_user,
    list_users,
    set_password,
    set_user_disabled,
)

router = APIRouter(prefix="/users", tags=["users"])

AUTH_ERRORS = (401, 403)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Password


@router.get("/me", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS))
async def me(principal: CurrentUser, stores: StoresDep) -> UserPublic:
    user = await get_user(stores.pool, principal.id)
    if user is None:
        raise Problem.unauthorized()
    return user.public()


@router.post("/me/password", status_code=204, response_class=Response, responses=problem_responses(*AUTH_ERRORS, 422))
async def change_password(body: PasswordChangeIn, principal: CurrentUser, stores: StoresDep) -> Response:
    """Change the caller's password; every refresh token of the account is revoked."""
    user = await get_user(stores.pool, principal.id)
    if user is None or not await verify_password_async(user.password_hash, body.current_password):
        raise Problem(
            422,
            "wrong_password",
            "the current password is wrong",
            errors=[{"loc": ["body", "current_password"], "msg": "wrong password", "type": "wrong_password"}],
        )
    new_hash = await hash_password_async(body.new_password)
    async with stores.pool.acquire() as conn, conn.transaction():
        await set_password(conn, user_id=user.id, password_hash=new_hash)
    return Response(status_code=204)


@router.get("", response_model=UsersPublic, responses=problem_responses(*AUTH_ERRORS, 422))
async def users(
    admin: AdminUser,
    stores: StoresDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    q: Annotated[
        str | None, Query(max_length=254, pattern=NO_NUL_PATTERN, description="Part of the e-mail address.")
    ] = None,
) -> UsersPublic:
    """Every user (admin only), by id."""
    found, count = await list_users(pool=stores.pool, limit=limit, offset=(page - 1) * limit, q=q)
    return UsersPublic(data=[user.public() for user in found], count=count)


async def _set_disabled(admin: AdminUser, stores: StoresDep, user_id: int, disabled: bool) -> UserPublic:
    if disabled and user_id == admin.id:
        raise Problem.conflict("an admin cannot disable their own account", code="cannot_disable_self")
    try:
        user = await set_user_disabled(
            pool=stores.pool, redis=stores.redis, keys=stores.keys, user_id=user_id, disabled=disabled
        )
    except UserNotFound as error:
        raise Problem.not_found(str(error), code=error.error_code) from None
    return user.public()


UserId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/{user_id}/disable", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS, 404, 409))
async def disable_user(user_id: UserId, admin: AdminUser, stores: StoresDep) -> UserPublic:
    """Disable an account (admin only): its sessions end and its links stop redirecting."""
    return await _set_disabled(admin, stores, user_id, True)


@router.post("/{user_id}/enable", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS, 404))
async def enable_user(user_id: UserId, admin: AdminUser, stores: StoresDep) -> UserPublic:
    """Enable an account again (admin only); its links redirect again."""
    return await _set_disabled(admin, stores, user_id, False)
