"""User agent -> browser, OS, device type and bot flag.

ua-parser (uap-core's rules, precompiled through ua-parser-rs) names browser, OS and device; the
crawler-user-agents list, which tracks far more bots than uap-core's "Spider" device, flags bots.
Both are slow on a cache miss (hundreds of microseconds), and real traffic repeats a small set
of agents, so results are cached per distinct string.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

DeviceType = Literal["desktop", "mobile", "tablet", "bot", "other"]

UA_CACHE_SIZE: Final = 20_000  # distinct agents kept; a day of real traffic has a few thousand
_UNKNOWN: Final = "Other"  # uap-core's own word for "no rule matched"
# Device families and brands uap-core uses for tablets (it has no device "type" of its own).
_TABLET_WORDS: Final = ("ipad", "tablet", "kindle", "nexus 7", "nexus 9", "nexus 10", "playbook", "xoom", "silk")
_MOBILE_OS: Final = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Symbian OS", "Tizen"})
_DESKTOP_OS: Final = frozenset(
    {"Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "ChromeOS", "FreeBSD"}
)


@dataclass(frozen=True, slots=True)
class Agent:
    browser: str
    browser_version: str
    os: str
    device: DeviceType
    is_bot: bool


@lru_cache(maxsize=UA_CACHE_SIZE)
def parse_agent(user_agent: str) -> Agent:
    """What a user agent string says about the visitor; never raises.

    >>> parse_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) ... Mobile/15E148 Safari/604.1").device
    'mobile'
    """
    if not user_agent:
        return Agent(browser="", browser_version="", os="", device="other", is_bot=False)
    # Imported here: the edge needs them only for a routed link's rules, and they are heavy to load.
    import crawleruseragents
    import ua_parser

    result = ua_parser.parse(user_agent)
    browser = result.user_agent.family if result.user_agent else ""
    version = result.user_agent.major or "" if result.user_agent else ""
    os_family = result.os.family if result.os else ""
    device_family = result.device.family if result.device else ""
    device_brand = (result.device.brand or "") if result.device else ""
    is_bot = device_family == "Spider" or crawleruseragents.is_crawler(user_agent)
    device = "bot" if is_bot else _device_type(user_agent, os_family, f"{device_family} {device_brand}".lower())
    return Agent(
        browser="" if browser == _UNKNOWN else browser,
        browser_version=version,
        os="" if os_family == _UNKNOWN else os_family,
        device=device,
        is_bot=is_bot,
    )


def _device_type(user_agent: str, os_family: str, device: str) -> DeviceType:
    if any(word in device for word in _TABLET_WORDS) or "Tablet" in user_agent:
        return "tablet"
    if os_family == "Android":
        # Android phones send "Mobile"; Android tablets leave it out (Google's UA guidance).
        return "mobile" if "Mobile" in user_agent else "tablet"
    if os_family in _MOBILE_OS or "Mobi" in user_agent:
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return "other"


# ua-parser's names and the names people write for the same system, made one key (see ``os_key``).
_OS_ALIASES: Final = {"macosx": "macos", "osx": "macos", "ipados": "ios", "chromiumos": "chromeos"}
# Words that name a build of a browser, not another browser: "Chrome Mobile iOS" is Chrome.
_BROWSER_BUILD_WORDS: Final = frozenset({"mobile", "ios", "webview"})


def os_key(name: str) -> str:
    """One key for an operating system however it is spelled: "Mac OS X" (ua-parser), "macOS" and
    "macos" are all "macos"; targeting rules compare these."""
    key = "".join(name.lower().split())
    return _OS_ALIASES.get(key, key)


def browser_key(name: str) -> str:
    """One key for a browser across its builds: "Chrome Mobile", "Chrome Mobile iOS" and "chrome" are
    all "chrome", "Mobile Safari" is "safari"; targeting rules compare these."""
    return " ".join(word for word in name.lower().split() if word not in _BROWSER_BUILD_WORDS)
