"""/users: the caller's own account, and user administration for admins.

Changing the password and administering users need a signed-in session: an API key gets 403
``session_required`` there, whatever its scopes (admin/auth/deps.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from admin.audit import Actor
from admin.auth.deps import AdminUser, CurrentUser, SessionUser, SettingsDep, StoresDep
from admin.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    WeakPassword,
    check_password_async,
    hash_password_async,
    verify_password_async,
)
from admin.auth.throttle import Throttle, login_counters
from admin.client_ip import client_ip
from admin.problems import Problem, problem_responses
from admin.routes.audit import RequestActor
from admin.routes.auth import weak_password_problem
from admin.text import NO_NUL_PATTERN
from admin.users import (
    LastAdmin,
    Password,
    Role,
    UserNotFound,
    UserPublic,
    UsersPublic,
    get_user,
    list_users,
    set_password,
    set_user_disabled,
    set_user_role,
)

router = APIRouter(prefix="/users", tags=["users"])

AUTH_ERRORS = (401, 403)


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


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


@router.post(
    "/me/password", status_code=204, response_class=Response, responses=problem_responses(*AUTH_ERRORS, 422, 429)
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    principal: SessionUser,
    actor: RequestActor,
    stores: StoresDep,
    settings: SettingsDep,
) -> Response:
    """Change the caller's password (a session, never an API key); every session of the account ends.

    The current password is checked under the sign-in throttle: a stolen session must not become
    an unthrottled way to guess it.
    """
    user = await get_user(stores.pool, principal.id)
    if user is None:
        raise Problem.unauthorized()
    throttle = Throttle(stores.redis, stores.keys)
    counters = login_counters(user.email, client_ip(request, settings))
    wait = await throttle.take(*counters)
    if wait is not None:
        raise Problem.too_many("too many wrong passwords; try again later", retry_after=wait)
    if not await verify_password_async(user.password_hash, body.current_password):
        raise Problem(
            422,
            "wrong_password",
            "the current password is wrong",
            errors=[{"loc": ["body", "current_password"], "msg": "wrong password", "type": "wrong_password"}],
        )
    await throttle.give_back(*counters)
    await _store_new_password(stores, user.id, user.email, body.new_password, actor)
    return Response(status_code=204)


async def _store_new_password(stores: StoresDep, user_id: int, email: str, password: str, actor: Actor) -> None:
    try:
        await check_password_async(password, email=email)
    except WeakPassword as error:
        raise weak_password_problem(error, "new_password") from None
    new_hash = await hash_password_async(password)
    async with stores.pool.acquire() as conn, conn.transaction():
        await set_password(conn, user_id=user_id, password_hash=new_hash, actor=actor)
    # The owner proved the password: failures from any address are forgotten.
    await Throttle(stores.redis, stores.keys).clear_account(email)


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


async def _set_disabled(admin: AdminUser, actor: Actor, stores: StoresDep, user_id: int, disabled: bool) -> UserPublic:
    if disabled and user_id == admin.id:
        raise Problem.conflict("an admin cannot disable their own account", code="cannot_disable_self")
    try:
        user = await set_user_disabled(
            pool=stores.pool, redis=stores.redis, keys=stores.keys, user_id=user_id, disabled=disabled, actor=actor
        )
    except UserNotFound as error:
        raise Problem.not_found(str(error), code=error.error_code) from None
    return user.public()


UserId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/{user_id}/disable", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS, 404, 409))
async def disable_user(user_id: UserId, admin: AdminUser, actor: RequestActor, stores: StoresDep) -> UserPublic:
    """Disable an account (admin only): its sessions end and its links stop redirecting."""
    return await _set_disabled(admin, actor, stores, user_id, True)


@router.post("/{user_id}/enable", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS, 404))
async def enable_user(user_id: UserId, admin: AdminUser, actor: RequestActor, stores: StoresDep) -> UserPublic:
    """Enable an account again (admin only); its links redirect again."""
    return await _set_disabled(admin, actor, stores, user_id, False)


@router.put("/{user_id}/role", response_model=UserPublic, responses=problem_responses(*AUTH_ERRORS, 404, 409, 413, 422))
async def change_role(
    user_id: UserId, body: RoleIn, admin: AdminUser, actor: RequestActor, stores: StoresDep
) -> UserPublic:
    """Make an account an admin or a plain user (admin only), from its next request on. 409
    ``last_admin`` when that would leave no enabled admin (an admin may step down while another remains)."""
    try:
        user = await set_user_role(pool=stores.pool, user_id=user_id, role=body.role, actor=actor)
    except UserNotFound as error:
        raise Problem.not_found(str(error), code=error.error_code) from None
    except LastAdmin as error:
        raise Problem.conflict(str(error), code=error.error_code) from None
    return user.public()
