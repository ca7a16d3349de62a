"""Enrichment of real user agents, GeoIP lookups and referrers, without stores."""

from __future__ import annotations

import pytest

from common.geoip import GeoIp
from common.records import Click
from common.useragents import parse_agent
from tests.geo import write_city_db
from worker.enrich import Enricher, parse_ip, referrer_host

AGENTS = [
    # (user agent, browser, os, device, bot)
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "Windows",
        "desktop",
        False,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "Safari",
        "Mac OS X",
        "desktop",
        False,
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Firefox",
        "Ubuntu",
        "desktop",
        False,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 Edg/120.0.0.0",
        "Edge",
        "Windows",
        "desktop",
        False,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "iOS",
        "mobile",
        False,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
        "Mobile Safari/537.36",
        "Chrome Mobile",
        "Android",
        "mobile",
        False,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        "Android",
        "mobile",
        False,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "iOS",
        "tablet",
        False,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "Android",
        "tablet",
        False,
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "", "bot", True),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot", "", "bot", True),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", None, None, "bot", True),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", None, None, "bot", True),
    ("curl/8.4.0", "curl", None, "bot", True),
    ("python-requests/2.31.0", "Python Requests", None, "bot", True),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "HeadlessChrome",
        "Linux",
        "bot",
        True,
    ),
]


@pytest.mark.parametrize(("agent", "browser", "os", "device", "bot"), AGENTS, ids=[a[0][:40] for a in AGENTS])
def test_user_agents(agent: str, browser: str | None, os: str | None, device: str, bot: bool) -> None:
    parsed = parse_agent(agent)
    assert (parsed.device, parsed.is_bot) == (device, bot)
    if browser is not None:
        assert parsed.browser == browser
    if os is not None:
        assert parsed.os == os


def test_empty_agent_is_unknown_not_a_bot() -> None:
    parsed = parse_agent("")
    assert (parsed.browser, parsed.os, parsed.device, parsed.is_bot) == ("", "", "other", False)


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("https://www.Google.com/search?q=hop", "google.com"),
        ("https://t.co/abc", "t.co"),
        ("android-app://com.slack/", "com.slack"),
        ("http://[::1]:8080/x", "::1"),
        ("", ""),
        ("not a url", ""),
        ("http://[bad", ""),
    ],
)
def test_referrer_host(referrer: str, host: str) -> None:
    assert referrer_host(referrer) == host


def test_ip_prefixes() -> None:
    assert parse_ip("203.0.113.77")[1] == bytes((2, 24, 0, 4, 203, 0, 113, 0))
    assert parse_ip("::ffff:203.0.113.77") == parse_ip("203.0.113.77")
    assert parse_ip("2001:db8:1:2::5")[1] == bytes((3, 48, 0, 16)) + bytes.fromhex("20010db80001") + bytes(10)
    for garbage in ("", "unknown", "300.1.1.1", "1.2.3", "1.2.3.4.5", "+1.2.3.4"):
        assert parse_ip(garbage) == (None, None)


@pytest.fixture(scope="module")
def geoip(tmp_path_factory: pytest.TempPathFactory) -> GeoIp:
    return GeoIp(write_city_db(tmp_path_factory.mktemp("geo") / "city.mmdb"))


def _click(ip: str, country: str = "") -> Click:
    return (1_790_000_000_000, "c", ip, "curl/8", "", country)


def test_geoip_country_and_city(geoip: GeoIp) -> None:
    enricher = Enricher(salt_secret="s" * 16, geoip=geoip)
    london = enricher.enrich(_click("81.2.69.160", country="FR"))
    assert (london.country, london.city) == ("GB", "London")  # the database beats the header
    assert (enricher.enrich(_click("89.160.20.112")).city) == "Linköping"
    dutch = enricher.enrich(_click("2001:67c:2e8:22::c100:68b"))
    assert (dutch.country, dutch.city) == ("NL", "")
    # Not in the database: the trusted proxy's header, else unknown.
    assert enricher.enrich(_click("198.51.100.1", country="de")).country == "DE"
    assert enricher.enrich(_click("198.51.100.1", country="XX")).country == ""
    assert enricher.enrich(_click("not-an-ip", country="")).country == ""


def test_without_geoip_the_header_country_is_used() -> None:
    enricher = Enricher(salt_secret="s" * 16)
    assert enricher.enrich(_click("81.2.69.160", country="FR")).country == "FR"


def test_visitor_hash_is_stable_per_day_and_secret() -> None:
    one = Enricher(salt_secret="a" * 16)
    other = Enricher(salt_secret="b" * 16)
    click = _click("81.2.69.160")
    later_same_day = (click[0] + 3_600_000, *click[1:])
    next_day = (click[0] + 86_400_000, *click[1:])
    assert one.enrich(click).visitor_hash == one.enrich(later_same_day).visitor_hash
    assert one.enrich(click).visitor_hash != one.enrich(next_day).visitor_hash
    assert one.enrich(click).visitor_hash != other.enrich(click).visitor_hash
