"""Targeting rules and A/B split as the edge evaluates them (common/routing.py): conditions, the
Accept-Language reading, the sticky weighted split, and the record encoding."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from common.records import LinkRecord, RecordRejected
from common.routing import Conditions, Routing, Split, Visit, accepted_languages
from common.useragents import browser_key, os_key, parse_agent

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
    "Mobile Safari/537.36"
)
DEC_1 = 1_764_547_200_000  # 2025-12-01T00:00:00Z


def visit(agent: str = MAC, *, country: str = "", languages: tuple[str, ...] = (), now_ms: int = DEC_1) -> Visit:
    return Visit(agent=parse_agent(agent), country=country, languages=languages, now_ms=now_ms)


STORED_RULES = [
    {"name": "iPhone in Germany", "target": "https://e.com/de-ios", "conditions": {"os": ["iOS"], "countries": ["de"]}},
    {"name": "Mac Safari", "target": "https://e.com/mac", "conditions": {"os": ["macOS"], "browsers": ["Safari"]}},
    {"name": "French", "target": "https://e.com/fr", "conditions": {"languages": ["FR"]}},
    {
        "name": "December",
        "target": "https://e.com/dec",
        "conditions": {"starts_at": "2025-12-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00+00:00"},
    },
]


def test_names_as_people_write_them_match_what_ua_parser_reports() -> None:
    assert os_key(parse_agent(MAC).os) == os_key("macOS") == os_key("Mac OS X") == "macos"
    assert os_key(parse_agent(IPHONE).os) == os_key("iPadOS") == "ios"
    assert os_key("Chrome OS") == os_key("ChromeOS") == "chromeos"
    assert browser_key(parse_agent(IPHONE).browser) == browser_key("Safari") == "safari"  # "Mobile Safari"
    assert browser_key(parse_agent(ANDROID_CHROME).browser) == browser_key("Chrome") == "chrome"  # "Chrome Mobile"
    assert browser_key("Chrome Mobile iOS") == "chrome" and browser_key("Samsung Internet") == "samsung internet"


def test_every_set_condition_must_hold_and_any_value_of_one_does() -> None:
    rules = Routing.from_stored(STORED_RULES, None)
    assert rules is not None
    de_ios, mac_safari, french, december = (rule.conditions for rule in rules.rules)
    assert de_ios.hold_for(visit(IPHONE, country="DE"))
    assert not de_ios.hold_for(visit(IPHONE, country="AT"))  # the right device, the wrong country
    assert not de_ios.hold_for(visit(ANDROID_CHROME, country="DE"))
    assert mac_safari.hold_for(visit(MAC))
    assert french.hold_for(visit(languages=("en-gb", "fr-ca")))  # a variety of French is French
    assert not french.hold_for(visit(languages=("en",)))
    assert december.hold_for(visit(now_ms=DEC_1))  # the window includes its start...
    assert not december.hold_for(visit(now_ms=DEC_1 - 1))
    assert not december.hold_for(visit(now_ms=DEC_1 + 31 * 86_400_000))  # ...and excludes its end


def test_a_regional_language_condition_wants_that_region() -> None:
    british = Conditions(languages=("en-gb",))
    assert british.hold_for(visit(languages=("en-gb",)))
    assert not british.hold_for(visit(languages=("en", "en-us")))


def test_accept_language_yields_the_accepted_tags_and_skips_refused_and_malformed_ones() -> None:
    header = b"fr-CH, fr;q=0.9, en;q=0.8, de;q=0, *;q=0.5, <script>, x" + b"y" * 40 + b", es;q=oops"
    assert accepted_languages(header) == ("fr-ch", "fr", "en", "es")
    assert accepted_languages(b"") == ()
    assert len(accepted_languages(b",".join([b"en"] * 1_000))) <= 16


def test_the_split_follows_the_weights_and_keeps_each_visitor_on_one_variant() -> None:
    split = Split([70, 30])
    picks = Counter(split.pick("sale", f"10.0.{n >> 8}.{n & 255}", "Agent") for n in range(10_000))
    assert abs(picks[0] / 10_000 - 0.7) < 0.02  # 10,000 visitors: about 0.5 % of standard deviation
    assert {split.pick("sale", "10.0.0.7", "Agent") for _ in range(20)} == {split.pick("sale", "10.0.0.7", "Agent")}
    # Each link splits on its own: one visitor's variants across links are not all the same.
    assert len({split.pick(f"link{n}", "10.0.0.7", "Agent") for n in range(50)}) == 2


def test_a_routing_survives_the_record_encoding() -> None:
    routing = Routing.from_stored(
        STORED_RULES,
        [
            {"name": "A", "target": "https://e.com/a", "weight": 70},
            {"name": "B", "target": "https://e.com/b", "weight": 30},
        ],
    )
    assert routing is not None
    record = LinkRecord(target="https://e.com/", routing=routing)
    assert LinkRecord.decode(record.encode()) == record
    assert [rule.route for rule in routing.rules][:2] == ["rule:iPhone in Germany", "rule:Mac Safari"]
    assert [variant.route for variant in routing.variants] == ["variant:A", "variant:B"]


@pytest.mark.parametrize(
    ("routing", "reason"),
    [
        ({"r": [{"n": "x", "t": "javascript:alert(1)", "w": {"d": ["mobile"]}}]}, "unsafe"),
        ({"v": [{"n": "A", "t": "https://e.com/", "w": 1}, {"n": "B", "t": "data:text/html,x", "w": 1}]}, "unsafe"),
        ({"v": [{"n": "A", "t": "https://e.com/", "w": 1}]}, "malformed"),  # a split of one
        ({"v": [{"n": "A", "t": "https://e.com/", "w": 0}, {"n": "B", "t": "https://e.com/", "w": 1}]}, "malformed"),
        ({"r": [{"n": "x", "t": "https://e.com/", "w": {"d": "mobile"}}]}, "malformed"),  # not a list
        ({"r": [{"n": "x", "t": "https://e.com/", "w": {"a": "soon"}}]}, "malformed"),
        ([], "malformed"),
    ],
)
def test_a_routing_the_edge_must_not_serve_is_refused(routing: object, reason: str) -> None:
    raw = orjson.dumps({"t": "https://e.com/", "s": 302, "e": None, "q": False, "v": 1, "g": routing})
    with pytest.raises(RecordRejected) as rejected:
        LinkRecord.decode(raw)
    assert rejected.value.reason == reason
