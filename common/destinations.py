"""Where Hop's servers may send requests of their own (webhooks): public addresses only.

A URL a user gives is resolved, and every address it resolves to must be public, unless an admin
allowed its network (HOP_WEBHOOK_ALLOWED_NETWORKS): otherwise a webhook could reach the cloud
metadata service, the database or anything else behind the firewall (SSRF). The request then goes
to the address that was checked, never to a second lookup of the name, so a name that resolves
differently a moment later (DNS rebinding) cannot slip past.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": 80, "https": 443}


class DestinationRefused(ValueError):
    """A URL Hop must not send to; the message says why, in words for the user."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A URL and the checked address to connect to for it."""

    parts: SplitResult
    hostname: str
    port: int
    address: IPAddress

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (the Host header keeps the name)."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return self.parts._replace(netloc=f"{host}:{self.port}").geturl()

    @property
    def host_header(self) -> str:
        default = _DEFAULT_PORTS[self.parts.scheme]
        shown = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return shown if self.port == default else f"{shown}:{self.port}"


def refusal(address: IPAddress, allowed: Sequence[Network]) -> str | None:
    """What kind of address ``address`` is ("a loopback address") when it is not to be sent to, else None."""
    if any(address in network for network in allowed):
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return refusal(mapped, allowed)
    for kind, flagged in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
    ):
        if flagged:
            return f"a {kind} address"
    if not address.is_global:
        return "not a public address"
    return None


def split_http_url(url: str) -> tuple[SplitResult, str, int]:
    """The parts, host name and port of an http(s) URL without credentials.

    Raises:
        DestinationRefused: for anything else.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise DestinationRefused(f"not a valid URL: {error}") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise DestinationRefused("only http:// and https:// URLs with a host can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("a webhook URL must not carry a user name or password")
    return parts, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


async def resolve(url: str, allowed: Sequence[Network]) -> Destination:
    """The destination of ``url``, every address of its host checked.

    Raises:
        DestinationRefused: the URL is not http(s), its host does not resolve, or one of its
            addresses is not to be sent to.
    """
    parts, hostname, port = split_http_url(url)
    addresses = await _addresses(hostname, port)
    for address in addresses:
        kind = refusal(address, allowed)
        if kind is not None:
            where = f"{address} is" if _is_literal(hostname) else f"{hostname} resolves to {address},"
            raise DestinationRefused(
                f"{where} {kind}: webhooks go to public addresses only, or to networks in HOP_WEBHOOK_ALLOWED_NETWORKS"
            )
    return Destination(parts=parts, hostname=hostname, port=port, address=addresses[0])


def _is_literal(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


async def _addresses(hostname: str, port: int) -> list[IPAddress]:
    if _is_literal(hostname):
        return [ipaddress.ip_address(hostname)]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(f"{hostname} cannot be resolved: {error}") from None
    found = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not found:
        raise DestinationRefused(f"{hostname} has no address")
    return found
