"""A raw click from the stream -> what Postgres stores: place, agent, referrer host, privacy-safe IP.

Privacy: the full IP is kept only with HOP_STORE_FULL_IP; by default a /24 (IPv4) or /48 (IPv6)
prefix is stored, plus a visitor hash keyed with a salt derived from the secret and the click's
UTC date. A new salt every day means stored hashes cannot follow a visitor across days, and since
the salt is derived, not random, re-applying a click after a crash gives the same hash.

Unique visitors are counted with a second keyed hash, the same on every day (``visitor_key``), which
is never stored: only the sketches it feeds are (see common/visitors.py).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from common.geoip import GeoIp, place_of
from common.records import Click, is_orphan
from common.useragents import Agent, parse_agent
from common.visitors import visitor_identity, visitor_key, visitor_key_secret

IPV4_PREFIX: Final = 24
IPV6_PREFIX: Final = 48
IP_CACHE_SIZE: Final = 65_536
REFERRER_CACHE_SIZE: Final = 16_384
MS_PER_DAY: Final = 86_400_000
_MAX_REFERRER: Final = 1024


class Enriched(NamedTuple):
    # A NamedTuple, not a frozen dataclass: it is built once per click, and this is 3x cheaper.

    clicked_at: datetime
    day: date
    ip: bytes | None  # binary inet, see parse_ip
    ip_prefix: bytes | None
    visitor_hash: bytes
    visitor_key: int
    country: str
    city: str
    referrer: str
    referrer_host: str
    agent: Agent
    user_agent: str
    route: str  # of a routed link (common/routing.py); "" for the link's own target
    domain: str  # of an orphan visit: the short domain it came to; "" for the default one


class Enricher:
    """Turns stream clicks into rows. One per worker; holds the GeoIP reader and the salts."""

    def __init__(self, *, salt_secret: str, geoip: GeoIp | None = None, store_full_ip: bool = False) -> None:
        self._secret = salt_secret.encode()
        self._visitor_key_secret = visitor_key_secret(salt_secret)
        self._geoip = geoip
        self._store_full_ip = store_full_ip
        self._days: dict[int, tuple[date, bytes]] = {}  # day number -> (date, salt)

    def enrich(self, click: Click) -> Enriched:
        """Raises ValueError/TypeError for a malformed click (the caller records it as failed)."""
        epoch_ms, code, ip_text, user_agent, referrer, header_country = click[:6]
        seventh = click[6] if len(click) == 7 else ""  # a link's route, or an orphan visit's domain
        orphan = is_orphan(code)
        epoch_ms = int(epoch_ms)
        user_agent = _clean(user_agent)
        referrer = _clean(referrer)[:_MAX_REFERRER]
        address, prefix = parse_ip(ip_text)
        place = place_of(self._geoip if address is not None else None, ip_text, header_country)
        day_number = epoch_ms // MS_PER_DAY
        day, salt = self._days.get(day_number) or self._day(day_number)
        identity = visitor_identity(ip_text, user_agent)
        visitor = hashlib.blake2b(identity, key=salt, digest_size=16).digest()
        return Enriched(
            clicked_at=datetime.fromtimestamp(epoch_ms / 1000, UTC),
            day=day,
            ip=address if self._store_full_ip else None,
            ip_prefix=prefix,
            visitor_hash=visitor,
            visitor_key=visitor_key(self._visitor_key_secret, identity),
            country=place.country,
            city=place.city,
            referrer=referrer,
            referrer_host=referrer_host(referrer),
            agent=parse_agent(user_agent),
            user_agent=user_agent,
            route="" if orphan else seventh,
            domain=seventh if orphan else "",
        )

    def _day(self, day_number: int) -> tuple[date, bytes]:
        day = date.fromordinal(_EPOCH_ORDINAL + day_number)
        salt = hmac.new(self._secret, f"hop-visitor-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()
        if len(self._days) > 8:  # clicks are at most a day or two late; keep a few salts
            self._days.clear()
        self._days[day_number] = (day, salt)
        return day, salt


_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=IP_CACHE_SIZE)
def parse_ip(text: str) -> tuple[bytes | None, bytes | None]:
    """The address and its stored prefix (/24 or /48) in Postgres' binary inet format, or (None, None).

    The worker COPYs these bytes as they are (see worker.inet): building ipaddress objects
    and letting asyncpg encode them cost more than the rest of a click's enrichment together.
    """
    parts = text.split(".")
    if len(parts) == 4 and text.replace(".", "").isdigit():
        try:
            octets = bytes(map(int, parts))
        except ValueError:  # an octet above 255, or an empty one
            return None, None
        return _INET4 + octets, _INET4_PREFIX + octets[:3] + b"\x00"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None, None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return parse_ip(str(address.ipv4_mapped))
    network = ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False)
    return _INET6 + address.packed, _INET6_PREFIX + network.network_address.packed


# Postgres' binary inet: family (2 = IPv4, 3 = IPv6), prefix bits, is_cidr, address length, address.
_INET4: Final = bytes((2, 32, 0, 4))
_INET4_PREFIX: Final = bytes((2, IPV4_PREFIX, 0, 4))
_INET6: Final = bytes((3, 128, 0, 16))
_INET6_PREFIX: Final = bytes((3, IPV6_PREFIX, 0, 16))


@lru_cache(maxsize=REFERRER_CACHE_SIZE)
def referrer_host(referrer: str) -> str:
    """``https://www.Example.com/x`` -> ``example.com``; "" for none or garbage."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _clean(value: str) -> str:
    # Postgres text cannot hold NUL; headers can.
    return value.replace("\x00", "") if "\x00" in value else value
