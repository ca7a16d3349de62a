"""/instance: what the dashboard needs before anyone signs in, and the first-run setup.

Until the instance has its first account, anyone who reaches the admin may create it, as an
admin, with POST /instance/setup: that is how a fresh private deployment is set up from the
browser. An exposed deployment should create its first admin with `hop user create --admin`
before it is reachable. docs/security.md, "Accounts and sessions".
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from admin.auth.deps import SettingsDep, StoresDep
from admin.auth.passwords import WeakPassword
from admin.client_ip import client_ip
from admin.problems import Problem, problem_responses
from admin.routes.auth import weak_password_problem
from admin.routes.session import Session, start_session
from admin.users import EmailTaken, SetupDone, UserCreate, create_first_admin, setup_required

router = APIRouter(prefix="/instance", tags=["instance"])


class Instance(BaseModel):
    setup_required: bool = Field(description="No account exists yet: POST /instance/setup creates the first admin.")
    open_registration: bool = Field(description="Anyone may register (POST /auth/register); else only admins.")
    short_base_url: str = Field(description="What short URLs start with, e.g. https://hop.example (no trailing /).")
    version: str = Field(description="Hop's version.")


@cache
def hop_version() -> str:
    try:
        return version("hop")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@router.get("", response_model=Instance)
async def instance(stores: StoresDep, settings: SettingsDep) -> Instance:
    """About this instance; no credentials needed."""
    return Instance(
        setup_required=await setup_required(stores.pool),
        open_registration=settings.open_registration,
        short_base_url=settings.short_base,
        version=hop_version(),
    )


@router.post("/setup", status_code=201, response_model=Session, responses=problem_responses(409, 413, 422))
async def setup(
    body: UserCreate, request: Request, response: Response, stores: StoresDep, settings: SettingsDep
) -> Session:
    """First run: create the first account, an admin, and sign it in (the refresh token in the
    ``hop_refresh`` cookie, as POST /auth/session does). Once any account exists: 409 ``setup_done``.
    Of concurrent calls, exactly one creates the admin. The password policy is register's."""
    try:
        user = await create_first_admin(
            pool=stores.pool, email=str(body.email), password=body.password, client_ip=client_ip(request, settings)
        )
    except WeakPassword as error:
        raise weak_password_problem(error, "password") from None
    except (SetupDone, EmailTaken):
        raise Problem.conflict(str(SetupDone()), code=SetupDone.error_code) from None
    return await start_session(stores, settings, user.id, response)
