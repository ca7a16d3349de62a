"""/audit: the audit log, for admins: who changed which link or user, when, from where, old and new values.

``RequestActor`` is the dependency that routes changing links or users declare to get the
``admin.audit.Actor`` of the request (the caller, how they authenticated, their address).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from admin.audit import Actor, ActorKind, AuditFilter, EntityType, InvalidAuditCursor, list_entries
from admin.auth.deps import AdminUser, CurrentUser, SettingsDep, StoresDep
from admin.client_ip import client_ip
from admin.problems import Problem, problem_responses
from admin.text import NO_NUL_PATTERN

router = APIRouter(prefix="/audit", tags=["audit"])


async def request_actor(request: Request, principal: CurrentUser, settings: SettingsDep) -> Actor:
    """Who makes this request's changes, for the audit log."""
    return Actor.of(principal, client_ip(request, settings))


RequestActor = Annotated[Actor, Depends(request_actor)]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor_id: int | None = Field(description="The user who made the change; null for the command line.")
    actor_kind: ActorKind = Field(description="How: `user` (signed in), `api_key` or `cli`.")
    client_ip: str | None = Field(description="The caller's address (X-Forwarded-For from trusted proxies only).")
    action: str = Field(
        description=(
            "link.create, link.update, link.disable, link.enable, link.delete, link.bulk_create, link.import; "
            "user.create, user.disable, user.enable, user.role_change, user.password_change, user.password_reset, "
            "user.sessions_revoke (signed out everywhere); domain.create, domain.update, domain.delete. "
            "POST /links/actions records each link's entry as its "
            "single-link endpoint does (tagging as link.update)."
        )
    )
    entity_type: EntityType
    entity_id: int | None
    entity_code: str | None = Field(
        description="A link's short code (`{domain}/{code}` on a domain other than the default one), a user's "
        "e-mail address, or a domain's host."
    )
    old_values: dict[str, Any] | None = Field(description="What changed, as it was (never secrets).")
    new_values: dict[str, Any] | None = Field(description="What changed, as it is now (never secrets).")


class AuditPage(BaseModel):
    data: list[AuditEntry]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


@router.get("", response_model=AuditPage, responses=problem_responses(401, 403, 422))
async def audit_log(
    admin: AdminUser,
    stores: StoresDep,
    entity_type: EntityType | None = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    entity_code: Annotated[
        str | None,
        Query(
            max_length=254,
            pattern=NO_NUL_PATTERN,
            description="A short code (`{domain}/{code}` on another domain than the default), an e-mail address "
            "or a domain.",
        ),
    ] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Entries at or after (ISO 8601 with offset).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Entries before (ISO 8601 with offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="From `next_cursor` of the last page.")] = None,
) -> AuditPage:
    """The audit log (admins only), newest first, filtered by entity, actor, action and time."""
    filters = AuditFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        entity_code=entity_code,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
    )
    try:
        page = await list_entries(stores.pool, filters=filters, limit=limit, cursor=cursor)
    except InvalidAuditCursor as error:
        raise Problem(422, error.error_code, str(error)) from None
    return AuditPage(data=[AuditEntry.model_validate(entry) for entry in page.entries], next_cursor=page.next_cursor)


__all__ = ["RequestActor", "request_actor", "router"]
