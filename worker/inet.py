"""A pass-through binary codec for inet on the worker's connections.

worker.enrich.parse_ip already produces Postgres' wire format, so COPY sends those bytes as they
are. The decoder gives back ipaddress objects, as asyncpg's own codec does.
"""

from __future__ import annotations

import ipaddress

import asyncpg


def _encode(value: bytes) -> bytes:
    return value


def _decode(data: bytes) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    family, bits, _, length = data[0], data[1], data[2], data[3]
    address = ipaddress.ip_address(data[4 : 4 + length])
    return ipaddress.ip_interface((address, bits)) if family in (2, 3) else ipaddress.ip_interface(address)


async def init_worker_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("inet", encoder=_encode, decoder=_decode, format="binary", schema="pg_catalog")
