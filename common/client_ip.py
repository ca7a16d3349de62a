"""The visitor's IP address, believing X-Forwarded-For only from configured trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientIpResolver:
    """Walks X-Forwarded-For from the right, skipping trusted proxies, as nginx's real_ip_recursive does."""

    __slots__ = ("_is_trusted", "_networks")

    def __init__(self, trusted: Sequence[Network]) -> None:
        self._networks = tuple(trusted)
        self._is_trusted = lru_cache(maxsize=4096)(self._check)

    def _check(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    @property
    def enabled(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        return self._is_trusted(address)

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        if not self._networks or forwarded_for is None or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if not hop:
                continue
            if not self._is_trusted(hop):
                return hop if _is_ip(hop) else peer
        return hops[0] if hops and _is_ip(hops[0]) else peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
