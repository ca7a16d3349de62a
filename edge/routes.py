"""Routed links at the edge: targeting rules and A/B split (common/routing.py) from the cached record.

Each target's redirect is built once, with the record; a visit works out only what the link's rules
look at (the user agent, the country, the languages), picks a redirect and records the click with
the route it took. Links without routing never get here: a RoutedRedirect is not a Redirect, so
the route's one isinstance check keeps them on the fast path.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Final

from starlette.types import Scope

from common.geoip import GeoIp, place_of
from common.records import Expiring, LinkRecord
from common.routing import Conditions, Routing, Split, Visit, accepted_languages
from common.useragents import parse_agent
from edge.responses import Redirect
from edge.tracking import ClickTracker

_NO_AGENT: Final = parse_agent("")


class RoutedRedirect(Expiring):
    """A link with targeting rules or an A/B split: one prebuilt Redirect per target."""

    __slots__ = (
        "default",
        "expires_at_ms",
        "reads_agent",
        "reads_country",
        "reads_languages",
        "rules",
        "split",
        "variants",
    )

    def __init__(self, record: LinkRecord, routing: Routing, default: Redirect) -> None:
        self.default = default
        self.expires_at_ms = record.expires_at_ms
        self.rules: tuple[tuple[Conditions, Redirect, str], ...] = tuple(
            (rule.conditions, _redirect_to(record, rule.target), rule.route) for rule in routing.rules
        )
        self.variants: tuple[tuple[Redirect, str], ...] = tuple(
            (_redirect_to(record, variant.target), variant.route) for variant in routing.variants
        )
        self.split = Split([variant.weight for variant in routing.variants]) if routing.variants else None
        conditions = [rule.conditions for rule in routing.rules]
        self.reads_agent = any(c.devices or c.os or c.browsers for c in conditions)
        self.reads_country = any(c.countries for c in conditions)
        self.reads_languages = any(c.languages for c in conditions)

    def choose(self, visit: Visit, code: str, address: str, user_agent: str) -> tuple[Redirect, str]:
        """The redirect for this visit and its route: the first rule that holds, else the visitor's
        variant, else the link's own target (route "")."""
        for conditions, redirect, route in self.rules:
            if conditions.hold_for(visit):
                return redirect, route
        if self.split is not None:
            return self.variants[self.split.pick(code, address, user_agent)]
        return self.default, ""


def _redirect_to(record: LinkRecord, target: str) -> Redirect:
    return Redirect(dataclasses.replace(record, target=target))


class Router:
    """Sends a visitor of a routed link on its way and records the click with its route."""

    __slots__ = ("_geoip", "_tracker")

    def __init__(self, tracker: ClickTracker, geoip: GeoIp | None) -> None:
        self._tracker = tracker
        self._geoip = geoip

    def route(self, scope: Scope, code: str, link: RoutedRedirect) -> Redirect:
        address, user_agent, _, country_header = self._tracker.seen(scope)
        visit = Visit(
            agent=parse_agent(user_agent) if link.reads_agent else _NO_AGENT,
            country=place_of(self._geoip, address, country_header).country if link.reads_country else "",
            languages=_languages(scope) if link.reads_languages else (),
            now_ms=time.time_ns() // 1_000_000,
        )
        redirect, route = link.choose(visit, code, address, user_agent)
        self._tracker.track(scope, code, route)
        return redirect


def _languages(scope: Scope) -> tuple[str, ...]:
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return accepted_languages(value)
    return ()
