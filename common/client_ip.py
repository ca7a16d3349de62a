"""The visitor's IP address, believing X-Forwarded-For only from configured trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientIpResolver:
    """Walks X-Forwarded-For from the right, skipping trusted proxies, as nginx's real_ip_recursive does."""

    __slots__ = ("_kind", "_networks")

    def __init__(self, trusted: Sequence[Network]) -> None:
        self._networks = tuple(trusted)
        # Each hop is parsed once: a visitor's address is both checked for trust and validated.
        self._kind = lru_cache(maxsize=4096)(self._classify)

    def _classify(self, address: str) -> bool | None:
        """True for a trusted proxy, False for any other address, None for what is no address."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        return any(ip in network for network in self._networks)

    @property
    def enabled(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        return self._kind(address) is True

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        if not self._networks or forwarded_for is None or self._kind(peer) is not True:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if not hop:
                continue
            kind = self._kind(hop)
            if kind is not True:
                return peer if kind is None else hop
        # Every hop is a trusted proxy: the first is as far back as the chain goes.
        return hops[0] if self._kind(hops[0]) is not None else peer
