"""Webhooks' contract with their receivers: the events, the signature and the headers.

A delivery is a POST of a JSON body ``{"id", "event", "created_at", "data"}`` with:

- ``Hop-Webhook-Id``: the delivery's id; the same on every retry, so a receiver can drop repeats
  (delivery is at least once);
- ``Hop-Webhook-Timestamp``: Unix seconds when this attempt was signed;
- ``Hop-Webhook-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the endpoint's secret, of
  the timestamp, a ``.``, and the body's bytes.

A receiver recomputes the signature over the body it received, compares in constant time, and
refuses a timestamp more than ``TOLERANCE_S`` from its clock, so a captured request cannot be
replayed later (docs/webhooks.md has the snippet).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final, Literal, get_args

Event = Literal["click", "link.created", "link.updated", "link.deleted"]
EVENTS: Final[tuple[Event, ...]] = get_args(Event)
SIGNATURE_VERSION: Final = "v1"
TOLERANCE_S: Final = 300
ID_HEADER: Final = "Hop-Webhook-Id"
TIMESTAMP_HEADER: Final = "Hop-Webhook-Timestamp"
SIGNATURE_HEADER: Final = "Hop-Webhook-Signature"
_SECRET_PREFIX: Final = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, marked so that it is recognisable in a leak scan."""
    return _SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Hop-Webhook-Signature`` value of ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(secret: str, body: bytes, *, timestamp: str, signed: str, now: int) -> bool:
    """What a receiver does: True when ``signed`` is the signature of ``body`` at a recent ``timestamp``."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > TOLERANCE_S:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), signed)
