"""/tags: the tags of the links the caller may see, with how many links carry each (for filters and pickers)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from admin.auth.deps import LinksRead, StoresDep
from admin.links_list import tag_counts
from admin.problems import problem_responses

router = APIRouter(prefix="/tags", tags=["links"])


class TagCount(BaseModel):
    tag: str
    links: int


@router.get("", response_model=list[TagCount], responses=problem_responses(401, 403))
async def tags(principal: LinksRead, stores: StoresDep) -> list[TagCount]:
    """Tags of the caller's links (an admin's: everyone's), most used first (then by name), at most 500."""
    counts = await tag_counts(stores.pool, principal=principal)
    return [TagCount(tag=count.tag, links=count.links) for count in counts]
