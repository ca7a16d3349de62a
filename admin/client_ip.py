"""The caller's IP address, believing X-Forwarded-For only from HOP_TRUSTED_PROXIES (as the edge does)."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request

from common.client_ip import ClientIpResolver, Network
from common.settings import AdminSettings


@lru_cache(maxsize=8)
def _resolver(networks: tuple[Network, ...]) -> ClientIpResolver:
    return ClientIpResolver(networks)


def client_ip(request: Request, settings: AdminSettings) -> str:
    peer = request.client.host if request.client else "unknown"
    return _resolver(tuple(settings.trusted_proxies)).resolve(peer, request.headers.get("x-forwarded-for"))
