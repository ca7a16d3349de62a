"""The caller's IP address, believing X-Forwarded-For only from HOP_TRUSTED_PROXIES (as the edge does)."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request

from common.settings import Settings
from edge.client_ip import ClientIpResolver


@lru_cache(maxsize=8)
def _resolver(networks: tuple[object, ...]) -> ClientIpResolver:
    return ClientIpResolver(networks)  # type: ignore[arg-type]


def client_ip(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else "unknown"
    return _resolver(tuple(settings.trusted_proxies)).resolve(peer, request.headers.get("x-forwarded-for"))
