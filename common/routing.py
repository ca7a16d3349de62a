"""Targeting rules and A/B split: which target a visitor of a routed link is sent to.

A link may carry ordered rules (conditions and a target; the first rule whose conditions all hold
wins) and weighted variants (the split of every visitor no rule matched). Admin validates and
stores both (admin/link_routing.py, migration 0019); ``Routing.from_stored`` reads them into the
edge's record, which the edge evaluates for each visit (edge/routes.py) with the user-agent and
country logic the worker stores with each click (common/useragents.py, common/geoip.py): a rule for
"mobile visitors in Germany" and the analytics agree on who those are.

A variant is chosen by a hash of the link's code and the visitor (address and user agent), so a
visitor who comes back lands on the same variant, and each link splits its visitors on its own.
The route taken ("rule:{name}", "variant:{name}", or "" for the link's own target) travels with
the click and is counted per link (the "route" breakdown).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from common.useragents import Agent, browser_key, os_key

MAX_ACCEPT_LANGUAGE: Final = 512  # bytes of the header read: a browser sends a few dozen
MAX_LANGUAGES: Final = 16
_KEY_SEPARATOR: Final = b"\x00"


@dataclass(frozen=True, slots=True)
class Visit:
    """What the conditions of a rule look at, worked out once per visit of a routed link."""

    agent: Agent
    country: str  # ISO 3166 code, "" when unknown
    languages: tuple[str, ...]  # the Accept-Language tags, lower-case, in the visitor's order
    now_ms: int


@dataclass(frozen=True, slots=True)
class Conditions:
    """A rule's conditions: every one that is set must hold; in a set, any value matches.

    ``os`` and ``browsers`` hold keys (``os_key``, ``browser_key``), ``languages`` lower-case tags.
    """

    devices: frozenset[str] = frozenset()
    os: frozenset[str] = frozenset()
    browsers: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()
    starts_at_ms: int | None = None
    ends_at_ms: int | None = None

    def hold_for(self, visit: Visit) -> bool:
        return (
            (self.starts_at_ms is None or visit.now_ms >= self.starts_at_ms)
            and (self.ends_at_ms is None or visit.now_ms < self.ends_at_ms)
            and (not self.devices or visit.agent.device in self.devices)
            and (not self.os or os_key(visit.agent.os) in self.os)
            and (not self.browsers or browser_key(visit.agent.browser) in self.browsers)
            and (not self.countries or visit.country in self.countries)
            and (not self.languages or _speaks(visit.languages, self.languages))
        )

    def encode(self) -> dict[str, object]:
        fields: dict[str, object] = {
            "d": sorted(self.devices),
            "o": sorted(self.os),
            "b": sorted(self.browsers),
            "c": sorted(self.countries),
            "l": list(self.languages),
            "a": self.starts_at_ms,
            "z": self.ends_at_ms,
        }
        return {key: value for key, value in fields.items() if value}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Conditions:
        return cls(
            devices=_strings(data.get("d", ())),
            os=_strings(data.get("o", ())),
            browsers=_strings(data.get("b", ())),
            countries=_strings(data.get("c", ())),
            languages=tuple(_strings(data.get("l", ()))),
            starts_at_ms=_optional_int(data.get("a")),
            ends_at_ms=_optional_int(data.get("z")),
        )

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Conditions:
        """The conditions as admin stores them (names as written, ISO times)."""
        return cls(
            devices=frozenset(data.get("devices") or ()),
            os=frozenset(os_key(name) for name in data.get("os") or ()),
            browsers=frozenset(browser_key(name) for name in data.get("browsers") or ()),
            countries=frozenset(code.upper() for code in data.get("countries") or ()),
            languages=tuple(tag.lower() for tag in data.get("languages") or ()),
            starts_at_ms=_epoch_ms(data.get("starts_at")),
            ends_at_ms=_epoch_ms(data.get("ends_at")),
        )


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    target: str
    conditions: Conditions

    @property
    def route(self) -> str:
        return f"rule:{self.name}"


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    target: str
    weight: int

    @property
    def route(self) -> str:
        return f"variant:{self.name}"


@dataclass(frozen=True, slots=True)
class Routing:
    """A link's rules and variants (either may be empty, not both)."""

    rules: tuple[Rule, ...] = ()
    variants: tuple[Variant, ...] = ()

    @property
    def targets(self) -> list[str]:
        return [rule.target for rule in self.rules] + [variant.target for variant in self.variants]

    def with_targets(self, change: Callable[[str], str]) -> Routing:
        """The same routing with every target passed through ``change`` (UTM parameters merged)."""
        return Routing(
            rules=tuple(Rule(rule.name, change(rule.target), rule.conditions) for rule in self.rules),
            variants=tuple(Variant(v.name, change(v.target), v.weight) for v in self.variants),
        )

    def encode(self) -> dict[str, object]:
        data: dict[str, object] = {}
        if self.rules:
            data["r"] = [{"n": rule.name, "t": rule.target, "w": rule.conditions.encode()} for rule in self.rules]
        if self.variants:
            data["v"] = [{"n": v.name, "t": v.target, "w": v.weight} for v in self.variants]
        return data

    @classmethod
    def decode(cls, data: Any) -> Routing:
        """Raises TypeError/KeyError/ValueError for anything but an encoded Routing."""
        if not isinstance(data, dict):
            raise TypeError("routing is an object")
        routing = cls(
            rules=tuple(Rule(_text(r["n"]), _text(r["t"]), Conditions.decode(r["w"])) for r in data.get("r", ())),
            variants=tuple(Variant(_text(v["n"]), _text(v["t"]), _weight(v["w"])) for v in data.get("v", ())),
        )
        if not routing.rules and len(routing.variants) < 2:
            raise ValueError("routing needs a rule or two variants")
        return routing

    @classmethod
    def from_stored(cls, rules: list[dict[str, Any]] | None, variants: list[dict[str, Any]] | None) -> Routing | None:
        """The routing of a links row's ``rules`` and ``variants`` columns, or None when it has neither."""
        if not rules and not variants:
            return None
        return cls(
            rules=tuple(
                Rule(rule["name"], rule["target"], Conditions.from_stored(rule.get("conditions") or {}))
                for rule in rules or ()
            ),
            variants=tuple(Variant(v["name"], v["target"], int(v["weight"])) for v in variants or ()),
        )


class Split:
    """Variants by cumulative weight: a visitor's hash picks one, the same one on every visit."""

    __slots__ = ("_bounds", "_total")

    def __init__(self, weights: list[int]) -> None:
        bounds, total = [], 0
        for weight in weights:
            total += weight
            bounds.append(total)
        self._bounds = bounds
        self._total = total

    def pick(self, code: str, address: str, user_agent: str) -> int:
        """The index of the visitor's variant."""
        key = _KEY_SEPARATOR.join((code.encode(), address.encode(), user_agent.encode("utf-8", "replace")))
        point = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % self._total
        return bisect.bisect_right(self._bounds, point)


def accepted_languages(header: bytes) -> tuple[str, ...]:
    """The language tags of an Accept-Language header the visitor accepts (q > 0), lower-case.

    Order and weights beyond "accepted" do not matter to a rule: "de" matches a visitor who reads
    German at all. Malformed parts are skipped; "*" names no language.
    """
    languages: list[str] = []
    for part in header[:MAX_ACCEPT_LANGUAGE].decode("latin-1").split(","):
        tag, _, params = part.partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*" or not _is_tag(tag) or _refused(params):
            continue
        languages.append(tag)
        if len(languages) == MAX_LANGUAGES:
            break
    return tuple(languages)


def _is_tag(tag: str) -> bool:
    return len(tag) <= 35 and all(part.isalnum() and part.isascii() and len(part) <= 8 for part in tag.split("-"))


def _refused(params: str) -> bool:
    """True when the parameters say q=0 (not accepted); a malformed q counts as accepted."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value) <= 0
            except ValueError:
                return False
    return False


def _speaks(accepted: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """True when an accepted tag is a wanted one or a variety of it ("en-gb" is a variety of "en")."""
    return any(tag == want or tag.startswith(f"{want}-") for want in wanted for tag in accepted)


def _epoch_ms(value: str | None) -> int | None:
    return None if value is None else int(datetime.fromisoformat(value).timestamp() * 1000)


def _strings(values: Any) -> frozenset[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(value, str) for value in values):
        raise TypeError("a condition is a list of strings")
    return frozenset(values)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _optional_int(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _weight(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError("a weight is a positive integer")
    return value
