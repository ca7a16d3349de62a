"""/api-keys: the caller's API keys. The secret is shown once, at creation.

Only a signed-in session manages keys: an API key cannot list, create or revoke keys (403
``session_required``), so a leaked key cannot mint others that would outlive its revocation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from admin.apikeys import ApiKeyCreate, ApiKeyCreated, ApiKeyNotFound, ApiKeyPublic, create_api_key, list_api_keys
from admin.apikeys import revoke_api_key as revoke_key
from admin.auth.deps import SessionUser, StoresDep
from admin.problems import Problem, problem_responses

router = APIRouter(prefix="/api-keys", tags=["api keys"])

# Enough for a person's scripts and integrations; more is a sign of keys never being revoked.
MAX_KEYS_PER_USER = 100


@router.get("", response_model=list[ApiKeyPublic], responses=problem_responses(401, 403))
async def api_keys(principal: SessionUser, stores: StoresDep) -> list[ApiKeyPublic]:
    """The caller's live keys (never the secrets)."""
    return [key.public() for key in await list_api_keys(pool=stores.pool, user_id=principal.id)]


@router.post("", status_code=201, response_model=ApiKeyCreated, responses=problem_responses(401, 403, 409, 422))
async def new_api_key(body: ApiKeyCreate, principal: SessionUser, stores: StoresDep) -> ApiKeyCreated:
    """Create a key; send it as the ``X-API-Key`` header. The secret is in this response only."""
    if len(await list_api_keys(pool=stores.pool, user_id=principal.id)) >= MAX_KEYS_PER_USER:
        raise Problem.conflict(f"at most {MAX_KEYS_PER_USER} API keys per user; revoke one", code="too_many_keys")
    return await create_api_key(pool=stores.pool, user_id=principal.id, name=body.name, scopes=body.scopes)


@router.delete("/{key_id}", status_code=204, response_class=Response, responses=problem_responses(401, 403, 404))
async def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**62)], principal: SessionUser, stores: StoresDep
) -> Response:
    """Revoke one of the caller's keys; it stops working at once."""
    try:
        await revoke_key(pool=stores.pool, user_id=principal.id, key_id=key_id)
    except ApiKeyNotFound as error:
        raise Problem.not_found(str(error), code=error.error_code) from None
    return Response(status_code=204)
