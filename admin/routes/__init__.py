"""Every /api/v1 router, combined in one place.

Each module in ROUTE_MODULES exposes ``router`` (an APIRouter with paths relative to /api/v1);
add a module here to mount it.
"""

from __future__ import annotations

from importlib import import_module

from fastapi import APIRouter

API_PREFIX = "/api/v1"
ROUTE_MODULES = (
    "admin.routes.auth",
    "admin.routes.users",
    "admin.routes.api_keys",
    "admin.routes.links",
    "admin.routes.domains",
    "admin.routes.imports",
    "admin.routes.analytics",
    "admin.routes.feed",
    "admin.routes.webhooks",
    "admin.routes.orphans",
    "admin.routes.audit",
    "admin.routes.tags",
    "admin.routes.instance",
    # Last: its sign-out-everywhere route ends the caller's tokens (see the module).
    "admin.routes.session",
)


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for name in ROUTE_MODULES:
        router.include_router(import_module(name).router)
    return router
