"""/webhooks: the caller's webhook endpoints and their delivery log (admin/webhooks.py).

Session only, as for API keys: an endpoint receives every click of its owner's links, so a leaked
API key must not be able to add one. The signing secret is in the creation and rotation responses
only.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, Response

from admin import webhooks
from admin.auth.deps import SessionUser, SettingsDep, StoresDep
from admin.problems import Problem, problem_responses
from admin.webhooks import (
    Delivery,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookNotFound,
    WebhookPublic,
    WebhookSecret,
    WebhookUpdate,
)
from common.destinations import DestinationRefused
from common.settings import AdminSettings

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

AUTH = (401, 403)
WebhookId = Annotated[int, Path(ge=1, le=2**62)]
T = TypeVar("T")


async def _found(call: Awaitable[T]) -> T:
    try:
        return await call
    except WebhookNotFound:
        raise Problem.not_found("no such webhook endpoint, or delivery, of yours", code="webhook_not_found") from None


async def _checked(url: str, settings: AdminSettings) -> str:
    try:
        return await webhooks.checked_url(url, settings.webhook_allowed_networks)
    except DestinationRefused as refused:
        raise Problem(422, "webhook_url_refused", str(refused)) from None


@router.get("", response_model=list[WebhookPublic], responses=problem_responses(*AUTH))
async def list_webhooks(principal: SessionUser, stores: StoresDep) -> list[WebhookPublic]:
    """The caller's endpoints (never their secrets)."""
    return await webhooks.list_webhooks(stores.pool, principal.id)


@router.post("", status_code=201, response_model=WebhookCreated, responses=problem_responses(*AUTH, 409, 422))
async def create_webhook(
    body: WebhookCreate, principal: SessionUser, stores: StoresDep, settings: SettingsDep
) -> WebhookCreated:
    """Add an endpoint. Its signing secret is in this response only."""
    await _checked(body.url, settings)
    if await webhooks.count_webhooks(stores.pool, principal.id) >= webhooks.MAX_ENDPOINTS_PER_USER:
        raise Problem.conflict(
            f"at most {webhooks.MAX_ENDPOINTS_PER_USER} webhook endpoints per user; remove one",
            code="too_many_webhooks",
        )
    return await webhooks.create_webhook(stores.pool, principal.id, body)


@router.get("/{webhook_id}", response_model=WebhookPublic, responses=problem_responses(*AUTH, 404, 422))
async def get_webhook(webhook_id: WebhookId, principal: SessionUser, stores: StoresDep) -> WebhookPublic:
    return await _found(webhooks.get_webhook(stores.pool, principal.id, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic, responses=problem_responses(*AUTH, 404, 422))
async def update_webhook(
    webhook_id: WebhookId, body: WebhookUpdate, principal: SessionUser, stores: StoresDep, settings: SettingsDep
) -> WebhookPublic:
    """Change an endpoint; ``enabled: true`` re-enables one Hop disabled after failures."""
    if body.url is not None:
        await _checked(body.url, settings)
    return await _found(webhooks.update_webhook(stores.pool, principal.id, webhook_id, body))


@router.delete("/{webhook_id}", status_code=204, response_class=Response, responses=problem_responses(*AUTH, 404, 422))
async def delete_webhook(webhook_id: WebhookId, principal: SessionUser, stores: StoresDep) -> Response:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    await _found(webhooks.delete_webhook(stores.pool, principal.id, webhook_id))
    return Response(status_code=204)


@router.post("/{webhook_id}/secret", response_model=WebhookSecret, responses=problem_responses(*AUTH, 404, 422))
async def rotate_secret(webhook_id: WebhookId, principal: SessionUser, stores: StoresDep) -> WebhookSecret:
    """A new signing secret, shown once; deliveries are signed with it from now on, retries included."""
    return await _found(webhooks.rotate_secret(stores.pool, principal.id, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=list[Delivery], responses=problem_responses(*AUTH, 404, 422))
async def list_deliveries(
    webhook_id: WebhookId,
    principal: SessionUser,
    stores: StoresDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Delivery]:
    """The endpoint's delivery log, newest first: what was sent, how often, and what came back."""
    return await _found(webhooks.list_deliveries(stores.pool, principal.id, webhook_id, status=status, limit=limit))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=Delivery,
    responses=problem_responses(*AUTH, 404, 422),
)
async def retry_delivery(
    webhook_id: WebhookId, delivery_id: WebhookId, principal: SessionUser, stores: StoresDep
) -> Delivery:
    """Send a delivery again now (a failed one, or one the receiver lost); its attempts start over."""
    return await _found(webhooks.retry_delivery(stores.pool, principal.id, webhook_id, delivery_id))
