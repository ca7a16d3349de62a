"""/auth: register, login, refresh, logout and password reset.

Browser sessions (the refresh token in a cookie) are admin/routes/session.py; they sign in through
``authenticate`` here, with the same throttling and answers as /auth/login.

Registration answers the same 202 whether or not the address already has an account; sign-in
is throttled per (account, address) with a per-account backstop; mail links are built from
HOP_PUBLIC_ADMIN_URL, never from the request. docs/security.md, "Accounts and sessions".
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from admin.audit import Actor
from admin.auth.deps import SettingsDep, StoresDep, optional_user
from admin.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    WeakPassword,
    hash_password_async,
    needs_rehash,
    verify_password_async,
)
from admin.auth.principal import Principal
from admin.auth.refresh import RefreshRejected, issue_refresh_token, revoke_refresh_token, rotate_refresh_token
from admin.auth.resets import confirm_reset, create_reset_token
from admin.auth.throttle import (
    REGISTER_NOTICE_LIMIT,
    RESET_LIMIT,
    Counter,
    Throttle,
    account_subject,
    login_counters,
)
from admin.auth.tokens import accepted_key_ids, current_key_id, issue_access_token
from admin.client_ip import client_ip
from admin.mail import admin_link, send_mail
from admin.problems import Problem, problem_responses
from admin.text import NO_NUL_PATTERN
from admin.users import Password, User, UserCreate, get_user_by_email, register_user
from common.settings import AdminSettings
from common.stores import Stores

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
REGISTERED = (
    "registration received: if the address had no account, it has one now and you can sign in; "
    "if it had one, nothing was changed"
)


def weak_password_problem(error: WeakPassword, field: str) -> Problem:
    """The 422 answer to a password the policy refuses; ``field`` names the body field."""
    errors = [{"loc": ["body", field], "msg": str(error), "type": error.error_code}]
    return Problem(422, error.error_code, str(error), title="Password refused", errors=errors)


def _may_register(settings: AdminSettings, caller: Principal | None) -> None:
    if settings.open_registration:
        return
    if caller is None or not caller.is_admin:
        raise Problem.forbidden("registration is closed; ask an admin for an account", code="registration_closed")
    if caller.is_api_key:
        raise Problem.forbidden("an API key cannot create accounts; sign in for that", code="session_required")


@router.post("/register", status_code=202, response_model=Accepted, responses=problem_responses(403, 413, 422))
async def register(
    body: UserCreate,
    request: Request,
    background: BackgroundTasks,
    stores: StoresDep,
    settings: SettingsDep,
    caller: Annotated[Principal | None, Depends(optional_user)],
) -> Accepted:
    """Create an account, usable at once (POST /auth/login). With closed registration only an admin may call this.

    The answer is the same whether or not the address already has an account (which then stays
    exactly as it was, and its owner gets a notice by mail), so that registering cannot be used
    to find out who has an account.
    """
    _may_register(settings, caller)
    ip = client_ip(request, settings)
    # Audited as the caller's doing when someone signed in registers the account, else as its own.
    by = Actor.of(caller, ip) if caller is not None else None
    try:
        user = await register_user(pool=stores.pool, email=str(body.email), password=body.password, by=by, client_ip=ip)
    except WeakPassword as error:
        raise weak_password_problem(error, "password") from None
    if user is None:
        background.add_task(_send_register_notice, stores, settings, str(body.email))
    else:
        logger.info("user %d registered", user.id)
    return Accepted(detail=REGISTERED)


async def token_pair(stores: Stores, settings: AdminSettings, user_id: int) -> TokenPair:
    """A new session of the user: an access token, and the first refresh token of a new family."""
    access = issue_access_token(settings, user_id=user_id)
    refresh = await issue_refresh_token(
        stores.pool, user_id=user_id, ttl_s=settings.refresh_token_ttl, key_id=current_key_id(settings)
    )
    return TokenPair(access_token=access.token, refresh_token=refresh, expires_in=access.expires_in)


@router.post("/login", response_model=TokenPair, responses=problem_responses(401, 403, 422, 429))
async def login(body: LoginIn, request: Request, stores: StoresDep, settings: SettingsDep) -> TokenPair:
    """Exchange e-mail and password for an access token and a refresh token.

    An unknown address and a wrong password get the same answer after the same work. Each attempt
    takes a slot per (account, client address), per account and per address before its password is
    checked; a full one answers 429 with Retry-After, even to the right password.
    """
    user = await authenticate(body, request, stores, settings)
    return await token_pair(stores, settings, user.id)


async def authenticate(body: LoginIn, request: Request, stores: Stores, settings: AdminSettings) -> User:
    """The enabled account whose e-mail and password ``body`` holds, checked under the sign-in
    throttle; every sign-in (/auth/login, /auth/session) goes through here.

    Raises:
        Problem: 429 (throttled), 401 ``invalid_credentials``, 403 ``account_disabled``.
    """
    throttle = Throttle(stores.redis, stores.keys)
    counters = login_counters(body.email, client_ip(request, settings))
    wait = await throttle.take(*counters)
    if wait is not None:
        raise Problem.too_many("too many failed sign-ins; try again later", retry_after=wait)
    user = await get_user_by_email(stores.pool, body.email)
    if not await verify_password_async(user.password_hash if user else None, body.password) or user is None:
        raise Problem.unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    # Not a guess: the slots go back, and this address starts afresh for this account.
    await throttle.give_back(*counters)
    if user.disabled:
        raise Problem.forbidden("this account is disabled", code="account_disabled")
    if needs_rehash(user.password_hash):
        # The hashing parameters changed since this hash was made: upgrade it while we have the password.
        new_hash = await hash_password_async(body.password)
        await stores.pool.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user.id, new_hash)
    return user


@router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(body: RefreshIn, stores: StoresDep, settings: SettingsDep) -> TokenPair:
    """Spend a refresh token for a new pair. Reusing a spent token revokes its whole family, and so
    does a token issued under a JWT key that is no longer current or previous."""
    try:
        return await rotated_pair(stores, settings, body.refresh_token)
    except RefreshRejected as error:
        raise Problem.unauthorized(str(error), code=error.code) from None


async def rotated_pair(stores: Stores, settings: AdminSettings, refresh_token: str) -> TokenPair:
    """Spend ``refresh_token`` for a new access token and its successor (/auth/refresh, /auth/session/refresh).

    Raises:
        RefreshRejected
    """
    rotated = await rotate_refresh_token(
        stores.pool,
        token=refresh_token,
        ttl_s=settings.refresh_token_ttl,
        key_id=current_key_id(settings),
        accepted_key_ids=accepted_key_ids(settings),
    )
    access = issue_access_token(settings, user_id=rotated.user_id)
    return TokenPair(access_token=access.token, refresh_token=rotated.token, expires_in=access.expires_in)


@router.post("/logout", status_code=204, response_class=Response, responses=problem_responses(422))
async def logout(body: RefreshIn, stores: StoresDep) -> Response:
    """End a session: its refresh token family is revoked. Unknown tokens are accepted silently."""
    await revoke_refresh_token(stores.pool, token=body.refresh_token)
    return Response(status_code=204)


RESET_MAIL = """Someone (hopefully you) asked to reset the password of your Hop account.

Choose a new password here; the link works once, for {minutes} minutes:

    {link}

If you did not ask for this, ignore this mail: your password is unchanged.
"""

REGISTER_NOTICE_MAIL = """Someone tried to create a Hop account with this address, which already has one.
Nothing was changed.

If that was you and you have forgotten your password, ask for a reset on the sign-in page:

    {link}

If it was not you, ignore this mail.
"""


def reset_link(settings: AdminSettings, token: str) -> str:
    """The dashboard's reset page, with the token in the fragment: browsers send a fragment neither
    to the server (so it stays out of access logs) nor in a Referer header."""
    return admin_link(settings, f"reset-password#token={token}")


async def _mail_allowed(stores: StoresDep, counter: Counter) -> bool:
    # Taken atomically, so concurrent requests cannot send more than the limit between them.
    if await Throttle(stores.redis, stores.keys).take(counter) is None:
        return True
    logger.warning("%s mail suppressed: too many requests for one address", counter.limit.scope)
    return False


async def _send_reset(stores: StoresDep, settings: AdminSettings, email: str) -> None:
    if not await _mail_allowed(stores, Counter(RESET_LIMIT, account_subject(email))):
        return
    created = await create_reset_token(pool=stores.pool, email=email, ttl_s=settings.password_reset_ttl)
    if created is None:
        return
    user, token = created
    body = RESET_MAIL.format(minutes=settings.password_reset_ttl // 60, link=reset_link(settings, token))
    await send_mail(settings, to=user.email, subject="Reset your Hop password", body=body)


async def _send_register_notice(stores: StoresDep, settings: AdminSettings, email: str) -> None:
    user = await get_user_by_email(stores.pool, email)
    if user is None or user.disabled:
        return
    if not await _mail_allowed(stores, Counter(REGISTER_NOTICE_LIMIT, account_subject(email))):
        return
    body = REGISTER_NOTICE_MAIL.format(link=admin_link(settings, "/"))
    await send_mail(settings, to=user.email, subject="Your Hop account", body=body)


@router.post("/password-reset", status_code=202, response_model=Accepted, responses=problem_responses(422))
async def request_password_reset(
    body: ResetRequestIn, background: BackgroundTasks, stores: StoresDep, settings: SettingsDep
) -> Accepted:
    """Mail a reset link if the address has an account. Always 202, whether or not it does.

    The link leads to ``{HOP_PUBLIC_ADMIN_URL}/reset-password#token=...``; that page (or any
    client) confirms with POST /auth/password-reset/confirm.
    """
    # In the background: the answer must come as fast for unknown addresses as for known ones.
    background.add_task(_send_reset, stores, settings, str(body.email))
    return Accepted(detail="if the address has an account, a reset link is on its way")


@router.post("/password-reset/confirm", status_code=204, response_class=Response, responses=problem_responses(400, 422))
async def confirm_password_reset(
    body: ResetConfirmIn, request: Request, stores: StoresDep, settings: SettingsDep
) -> Response:
    """Set a new password with a reset token; every session of the account ends, and so does the
    sign-in throttling of the account (the owner proved they hold its mailbox)."""
    try:
        user = await confirm_reset(
            pool=stores.pool, token=body.token, new_password=body.new_password, client_ip=client_ip(request, settings)
        )
    except WeakPassword as error:
        raise weak_password_problem(error, "new_password") from None
    if user is None:
        raise Problem(400, "invalid_reset_token", "the reset token is invalid, expired or already used")
    await Throttle(stores.redis, stores.keys).clear_account(user.email)
    return Response(status_code=204)
