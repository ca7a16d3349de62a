"""Short domains: a link lives on the default domain (HOP_SHORT_BASE_URL's) or on one an admin added.

A link's *edge key* names it wherever the edge and the worker meet: in Redis
(``{prefix}link:{edge_key}``), in the click streams and in ``edge_sync_pending``. It is the code on
the default domain and ``{domain}/{code}`` on another. No code holds a "/", so the two never
collide, and a link on the default domain keeps the key it had before there were domains.
``links.edge_key`` (migration 0022) is the same string, computed by Postgres.

A domain is an *authority* as browsers send it in Host: a lower-case DNS name, IDNs in punycode,
with a port only when it is not the scheme's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from common.db import Executor
from common.records import Keys
from common.redis import RedisClient

# On the invalidation channel: the domains table changed, every edge reloads it. No code or edge
# key holds a "!".
DOMAINS_CHANGED: Final = "!domains"
_DEFAULT_PORTS: Final = ("80", "443")


def edge_key(domain: str | None, code: str) -> str:
    """The edge key of ``code`` on ``domain`` (None: the default domain)."""
    return code if domain is None else f"{domain}/{code}"


def split_edge_key(key: str) -> tuple[str | None, str]:
    """(domain, code) of an edge key; domain None for the default domain."""
    domain, slash, code = key.rpartition("/")
    return (domain, code) if slash else (None, key)


def authority(host: str) -> str:
    """``host`` (a Host header's value, or a domain as typed) as domains are stored: lower case,
    without the DNS root's trailing dot and without a port every browser leaves out (80, 443)."""
    name = host.strip().lower()
    port = ""
    if not name.endswith("]"):  # an IPv6 literal without a port ends with its bracket
        head, colon, tail = name.rpartition(":")
        if colon and tail.isdigit():
            name, port = head, ("" if tail in _DEFAULT_PORTS else f":{tail}")
    return name.rstrip(".") + port


def default_domain(short_base: str) -> str:
    """The default domain: the authority of HOP_SHORT_BASE_URL (settings ``short_base``)."""
    return authority(urlsplit(short_base).netloc)


@dataclass(frozen=True, slots=True)
class Domain:
    """A row of ``domains``: where its bare address and the codes it does not serve send visitors
    (None: a 404)."""

    host: str
    base_redirect: str | None = None
    not_found_redirect: str | None = None


async def fetch_domains(conn: Executor) -> list[Domain]:
    rows = await conn.fetch("SELECT host, base_redirect, not_found_redirect FROM domains ORDER BY host")
    return [Domain(row["host"], row["base_redirect"], row["not_found_redirect"]) for row in rows]


async def announce_domains_changed(redis: RedisClient, keys: Keys) -> None:
    """Tell every edge to reload the domains; call it after the change committed.

    Raises:
        redis.exceptions.RedisError, OSError: Redis did not take it. The edges still reload within
            ``edge.domains.REFRESH_INTERVAL_S``; the caller need not fail the change.
    """
    await redis.publish(keys.invalidate_channel, DOMAINS_CHANGED)
