"""Logging for every Hop process: readable lines locally, one JSON object per line in production.

Every record carries the current request id (set by admin/observability.py through
``REQUEST_ID``), and passes a filter that scrubs what must never reach a log: bearer tokens,
JWTs, API keys, passwords and visitors' full IP addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

from common.settings import CoreSettings

# The id of the request being handled in this context; "" outside a request.
REQUEST_ID: ContextVar[str] = ContextVar("hop_request_id", default="")

_SECRETS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt redacted]"),
    (re.compile(r"\bhop_[A-Za-z0-9_-]{8,}"), "hop_[redacted]"),
    (
        re.compile(
            r"""(?i)("?(?:password|passwd|secret|token|api_key|apikey)"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)"""
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^@\s/]+@"), r"\1[redacted]@"),  # passwords in URLs
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])|(?<![\w:])[0-9A-Fa-f:]*::[0-9A-Fa-f:]+"
)

# RFC 1918, link-local and unique-local ranges: where Hop's own processes and stores live.
_OURS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")
)


def _truncate_ip(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.is_loopback or address.is_unspecified or any(address in net for net in _OURS):
        return text  # our own addresses (bind addresses, store URLs, container networks), not visitors'
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address) + f"/{prefix}"


def redact(text: str) -> str:
    """``text`` without secrets, and with public IP addresses cut to their /24 (IPv4) or /48 (IPv6)."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    text = _IPV4.sub(_truncate_ip, text)
    return _IPV6.sub(_truncate_ip, text)


class ContextFilter(logging.Filter):
    """Adds the request id and redacts the message: a handler filter, so it covers every logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            payload["request_id"] = request_id
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(payload).decode()


class DevFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


# Granian's own loggers: configured by Granian in its constructor and in each worker before the
# app factory runs; configure_logging takes them over so that production logs are all JSON.
GRANIAN_LOGGERS = ("_granian", "granian.access")


def configure_logging(settings: CoreSettings) -> None:
    """Hop's loggers (and Granian's, once it has configured them) to stderr, JSON in production."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.environment == "production" else DevFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger("hop")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = False
    for name in GRANIAN_LOGGERS:
        granian = logging.getLogger(name)
        if granian.handlers:
            granian.handlers[:] = [handler]
