"""404s per client address, limited in process: probing for codes must not run at line rate.

One float per address (GCRA, the token bucket's one-number form): the time at which its bucket
would be full again. A client that has used its burst gets 429 with Retry-After, and while it is
throttled its cache misses get 429 too, without a lookup, so a flood of made-up codes costs
neither Redis nor Postgres. A cached redirect is never refused: nothing is added to the hot path.

The address is the one tracking records (common/client_ip.py: X-Forwarded-For only from trusted
proxies); IPv6 addresses count per /64, which is what one subscriber usually holds. Memory is
bounded: past ``max_addresses`` the addresses seen least recently are forgotten, a tenth at a time.
"""

from __future__ import annotations

import ipaddress
import time
from itertools import islice

from starlette.types import Scope

from common.client_ip import ClientIpResolver
from edge import responses

MAX_ADDRESSES = 65_536


class NotFoundLimiter:
    """Per-address budget of 404s: ``rate`` per second, up to ``burst`` at once; rate 0 turns it off."""

    __slots__ = ("_burst_s", "_client_ip", "_full", "_interval", "_max_addresses", "enabled", "refused", "too_many")

    def __init__(
        self, *, rate: float, burst: int, client_ip: ClientIpResolver, max_addresses: int = MAX_ADDRESSES
    ) -> None:
        self.enabled = rate > 0
        self._interval = 1 / rate if self.enabled else 0.0  # seconds one 404 costs
        self._burst_s = burst * self._interval  # how far ahead of now a bucket may run
        self._client_ip = client_ip
        self._max_addresses = max_addresses
        self._full: dict[str, float] = {}  # address -> when its bucket is full again (monotonic)
        self.too_many = responses.too_many_requests(self._interval)
        self.refused = 0

    def throttled(self, scope: Scope) -> bool:
        """Whether this client's next 404 would be refused (checked before a lookup, costs nothing)."""
        if not self.enabled:
            return False
        full = self._full.get(self.address(scope))
        return full is not None and full + self._interval - time.monotonic() > self._burst_s

    def answer(
        self, scope: Scope, response: responses.StaticResponse | responses.Redirect
    ) -> responses.StaticResponse | responses.Redirect:
        """``response`` (a 404, or the domain's not-found redirect) if the client has one left in its
        budget, else the 429."""
        if not self.enabled:
            return response
        address = self.address(scope)
        now = time.monotonic()
        full = max(self._full.pop(address, now), now) + self._interval
        if full - now > self._burst_s:
            self._full[address] = full - self._interval  # refused: costs nothing, keeps its place
            self.refused += 1
            return self.too_many
        self._full[address] = full
        if len(self._full) > self._max_addresses:
            for oldest in list(islice(self._full, self._max_addresses // 10)):
                del self._full[oldest]
        return response

    def address(self, scope: Scope) -> str:
        """The client's address as tracking sees it; an IPv6 one as its /64."""
        client = scope.get("client")
        address = client[0] if client else ""
        if self._client_ip.enabled:
            forwarded_for = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for = value.decode("latin-1")
            address = self._client_ip.resolve(address, forwarded_for)
        return _per_subscriber(address) if ":" in address else address


def _per_subscriber(address: str) -> str:
    try:
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    except ValueError:
        return address
