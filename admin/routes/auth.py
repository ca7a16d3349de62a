"""/auth: register, login, refresh, logout and password reset."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from admin.auth.deps import SettingsDep, StoresDep, optional_user
from admin.auth.passwords import MAX_PASSWORD_LENGTH, hash_password_async, needs_rehash, verify_password_async
from admin.auth.principal import Principal
from admin.auth.refresh import RefreshRejected, issue_refresh_token, revoke_refresh_token, rotate_refresh_token
from admin.auth.resets import confirm_reset, create_reset_token
from admin.auth.throttle import ACCOUNT_LIMIT, IP_LIMIT, RESET_LIMIT, Throttle, account_subject
from admin.auth.tokens import issue_access_token
from admin.client_ip import client_ip
from admin.mail import send_mail
from admin.problems import Problem, problem_responses
from admin.text import NO_NUL_PATTERN
from admin.users import EmailTaken, Password, UserCreate, UserPublic, create_user, get_user_by_email
from common.settings import AdminSettings

logger = logging.getLogger("hop.admin.auth")

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not EmailStr: a malformed address must get the same answer as a wrong password.
    email: str = Field(min_length=1, max_length=254, pattern=NO_NUL_PATTERN)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    new_password: str = Password


class Accepted(BaseModel):
    detail: str


INVALID_CREDENTIALS = "the e-mail address or password is wrong"


@router.post("/register", status_code=201, response_model=UserPublic, responses=problem_responses(403, 409, 413, 422))
async def register(
    body: UserCreate,
    stores: StoresDep,
    settings: SettingsDep,
    caller: Annotated[Principal | None, Depends(optional_user)],
) -> UserPublic:
    """Create an account. With closed registration only an admin may call this."""
    if not settings.open_registration and not (caller is not None and caller.is_admin):
        raise Problem.forbidden("registration is closed; ask an admin for an account", code="registration_closed")
    try:
        user = await create_user(pool=stores.pool, email=str(body.email), password=body.password)
    except EmailTaken as error:
        raise Problem.conflict(str(error), code=error.error_code) from None
    logger.info("user %d registered", user.id)
    return user.public()


async def _token_pair(stores: StoresDep, settings: AdminSettings, user_id: int) -> TokenPair:
    access = issue_access_token(settings, user_id=user_id)
    refresh = await issue_refresh_token(stores.pool, user_id=user_id, ttl_s=settings.refresh_token_ttl)
    return TokenPair(access_token=access.token, refresh_token=refresh, expires_in=access.expires_in)


@router.post("/login", response_model=TokenPair, responses=problem_responses(401, 403, 422, 429))
async def login(body: LoginIn, request: Request, stores: StoresDep, settings: SettingsDep) -> TokenPair:
    """Exchange e-mail and password for an access token and a refresh token.

    An unknown address and a wrong password get the same answer after the same work. Repeated
    failures per account and per client address answer 429 with Retry-After.
    """
    throttle = Throttle(stores.redis, stores.keys)
    account = (ACCOUNT_LIMIT, account_subject(body.email))
    address = (IP_LIMIT, client_ip(request, settings))
    wait = await throttle.retry_after(account, address)
    if wait is not None:
        raise Problem.too_many("too many failed sign-ins; try again later", retry_after=wait)
    user = await get_user_by_email(stores.pool, body.email)
    if not await verify_password_async(user.password_hash if user else None, body.password) or user is None:
        await throttle.hit(account, address)
        raise Problem.unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if user.disabled:
        raise Problem.forbidden("this account is disabled", code="account_disabled")
    await throttle.clear(*account)
    if needs_rehash(user.password_hash):
        # The hashing parameters changed since this hash was made: upgrade it while we have the password.
        new_hash = await hash_password_async(body.password)
        await stores.pool.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user.id, new_hash)
    return await _token_pair(stores, settings, user.id)


@router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshIn, stores: StoresDep, settings: SettingsDep) -> TokenPair:
    """Spend a refresh token for a new pair. Reusing a spent token revokes its whole family."""
    try:
        rotated = await rotate_refresh_token(stores.pool, token=body.refresh_token, ttl_s=settings.refresh_token_ttl)
    except RefreshRejected as error:
        raise Problem.unauthorized(str(error), code=error.code) from None
    access = issue_access_token(settings, user_id=rotated.user_id)
    return TokenPair(access_token=access.token, refresh_token=rotated.token, expires_in=access.expires_in)


@router.post("/logout", status_code=204, response_class=Response, responses=problem_responses(422))
async def logout(body: RefreshIn, stores: StoresDep) -> Response:
    """End a session: its refresh token family is revoked. Unknown tokens are accepted silently."""
    await revoke_refresh_token(stores.pool, token=body.refresh_token)
    return Response(status_code=204)


RESET_MAIL = """Someone (hopefully you) asked to reset the password of your Hop account.

Your reset token, valid for {minutes} minutes and usable once:

    {token}

Send it with your new password to POST {endpoint}
as {{"token": "...", "new_password": "..."}}.

If you did not ask for this, ignore this mail: your password is unchanged.
"""


async def _send_reset(stores: StoresDep, settings: AdminSettings, email: str, endpoint: str) -> None:
    throttle = Throttle(stores.redis, stores.keys)
    subject = (RESET_LIMIT, account_subject(email))
    if await throttle.retry_after(subject) is not None:
        logger.warning("password-reset mail suppressed: too many requests for one address")
        return
    await throttle.hit(subject)
    created = await create_reset_token(pool=stores.pool, email=email, ttl_s=settings.password_reset_ttl)
    if created is None:
        return
    user, token = created
    body = RESET_MAIL.format(minutes=settings.password_reset_ttl // 60, token=token, endpoint=endpoint)
    await send_mail(settings, to=user.email, subject="Reset your Hop password", body=body)


@router.post("/password-reset", status_code=202, response_model=Accepted, responses=problem_responses(422))
async def request_password_reset(
    body: ResetRequestIn, request: Request, background: BackgroundTasks, stores: StoresDep, settings: SettingsDep
) -> Accepted:
    """Mail a reset token if the address has an account. Always 202, whether or not it does."""
    endpoint = str(request.url_for("confirm_password_reset"))
    # In the background: the answer must come as fast for unknown addresses as for known ones.
    background.add_task(_send_reset, stores, settings, str(body.email), endpoint)
    return Accepted(detail="if the address has an account, a reset token is on its way")


@router.post("/password-reset/confirm", status_code=204, response_class=Response, responses=problem_responses(400, 422))
async def confirm_password_reset(body: ResetConfirmIn, stores: StoresDep) -> Response:
    """Set a new password with a reset token; every session of the account ends."""
    if not await confirm_reset(pool=stores.pool, token=body.token, new_password=body.new_password):
        raise Problem(400, "invalid_reset_token", "the reset token is invalid, expired or already used")
    return Response(status_code=204)
