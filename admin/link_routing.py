"""A link's targeting rules and A/B split: the API's models, their checks, and the JSON stored.

Both are JSON columns of the link (migration 0019), NULL when it has none. Admin is their only
writer, so the JSON holds exactly what these models accept, filled in and normalised: every rule
and variant has its name, every target is canonical, countries are upper case, languages lower
case, times are UTC ISO 8601 ("2026-12-01T00:00:00Z"), and a condition that is not set is left out.
common/linkstore.py reads that JSON into the edge's record, and common/routing.py evaluates it:
the first rule whose conditions all hold wins, else the visitor's variant, else the link's target.

A routed target is checked like the link's own (admin/targets.py). What needs no settings (the
scheme, the length, the host's spelling) is checked by the models; the short domain and
HOP_BLOCKED_DOMAINS by ``check_routed_targets``, which the request handlers call with the settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from admin.targets import MAX_INPUT_LENGTH, TargetRejected, normalize_target
from common.useragents import DeviceType, browser_key, os_key

MAX_RULES: Final = 25
MIN_VARIANTS: Final = 2
MAX_VARIANTS: Final = 10
MAX_NAME: Final = 40
MAX_WEIGHT: Final = 1000
MAX_AGENT_NAMES: Final = 20  # OS or browser names in one condition
MAX_AGENT_NAME: Final = 40
MAX_COUNTRIES: Final = 250  # every ISO 3166-1 country, with room to spare
MAX_LANGUAGES: Final = 20
LANGUAGE_PATTERN: Final = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
COUNTRY_PATTERN: Final = r"^[A-Za-z]{2}$"
_LANGUAGE_RE: Final = re.compile(LANGUAGE_PATTERN.replace("$", r"\Z"))
_COUNTRY_RE: Final = re.compile(COUNTRY_PATTERN.replace("$", r"\Z"))
CONDITION_FIELDS: Final = ("devices", "os", "browsers", "countries", "languages", "starts_at", "ends_at")
ROUTING_COLUMNS: Final = ("rules", "variants")

RULES_HELP: Final = (
    f"Targeting rules (1 to {MAX_RULES}), tried in order: a visitor goes to the target of the first rule whose "
    "conditions all hold. Visitors no rule matches go to the A/B split when there is one, else to target_url."
)
UPDATE_RULES_HELP: Final = f"{RULES_HELP} A list replaces all of the link's rules; null removes them."
VARIANTS_HELP: Final = (
    f"An A/B split ({MIN_VARIANTS} to {MAX_VARIANTS} variants) of the visitors no rule matches, by weight: each "
    "visitor keeps their variant on every visit. target_url is then not visited through the split; it is where "
    "the link goes again once the split is removed."
)
UPDATE_VARIANTS_HELP: Final = f"{VARIANTS_HELP} A list replaces the whole split; null removes it."


def _printable(value: str) -> str:
    # A name is shown in the dashboard and travels with every click as its route ("rule:{name}").
    if not value.isprintable():
        raise ValueError("control characters, line breaks and invisible characters are not allowed")
    return value


def _routed_target(value: str) -> str:
    """The target as a browser reads it; refused as the link's own target would be, with the same reason."""
    try:
        return normalize_target(value)
    except TargetRejected as error:
        raise PydanticCustomError(error.reason, str(error)) from None


def _country(value: str) -> str:
    if not _COUNTRY_RE.match(value):
        raise ValueError(f"{value[:20]!r} is not a country code: use two letters (ISO 3166-1 alpha-2), e.g. DE")
    return value.upper()


def _language(value: str) -> str:
    if not _LANGUAGE_RE.match(value):
        raise ValueError(f"{value[:20]!r} is not a language tag: use e.g. en, de, en-GB or pt-BR")
    return value.lower()


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time needs a time zone (e.g. 2026-12-01T00:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset that leaves the calendar
        raise ValueError("the time lies outside the calendar") from None


def _each_once(what: str, key: Callable[[str], str] = str.casefold) -> Callable[[list[str]], list[str]]:
    """A check that no two values of a list mean the same (by ``key``: "macOS" and "Mac OS X" are one OS)."""

    def once(values: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for value in values:
            first = seen.get(key(value))
            if first is not None:
                same = "" if first == value else f" (as {first!r})"
                raise ValueError(f"{what} {value!r} is listed twice{same}")
            seen[key(value)] = value
        return values

    return once


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_printable)]
RoutedTarget = Annotated[
    str,
    Field(min_length=1, max_length=MAX_INPUT_LENGTH, examples=["https://example.com/app"]),
    AfterValidator(_routed_target),
]
AgentName = Annotated[str, Field(min_length=1, max_length=MAX_AGENT_NAME), AfterValidator(_printable)]
# The patterns are checked by the validators, whose messages say what to write instead.
Country = Annotated[str, Field(json_schema_extra={"pattern": COUNTRY_PATTERN}), AfterValidator(_country)]
Language = Annotated[
    str, Field(max_length=64, json_schema_extra={"pattern": LANGUAGE_PATTERN}), AfterValidator(_language)
]
When = Annotated[datetime, AfterValidator(_aware_utc)]


class RuleConditions(BaseModel):
    """What a visitor must match: every condition that is set (all of them: AND); within a list, any value (OR).

    Leave a condition out (or null) to ignore it; at least one must be set.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    devices: Annotated[list[DeviceType], Field(min_length=1), AfterValidator(_each_once("device"))] | None = Field(
        None,
        description="Device types, read from the user agent: desktop, mobile, tablet, bot (crawlers, scripts, curl) "
        "or other.",
        examples=[["mobile", "tablet"]],
    )
    os: (
        Annotated[
            list[AgentName],
            Field(min_length=1, max_length=MAX_AGENT_NAMES),
            AfterValidator(_each_once("operating system", os_key)),
        ]
        | None
    ) = Field(
        None,
        description=f"Operating systems as people name them (at most {MAX_AGENT_NAMES}, each up to {MAX_AGENT_NAME} "
        'characters): "iOS", "Android", "Windows", "macOS", "Linux", "ChromeOS". Compared without regard to case or '
        'spaces, and with the user-agent parser\'s names ("macOS" is "Mac OS X"); stored as written.',
        examples=[["iOS", "Android"]],
    )
    browsers: (
        Annotated[
            list[AgentName],
            Field(min_length=1, max_length=MAX_AGENT_NAMES),
            AfterValidator(_each_once("browser", browser_key)),
        ]
        | None
    ) = Field(
        None,
        description=f'Browsers (at most {MAX_AGENT_NAMES}, each up to {MAX_AGENT_NAME} characters): "Chrome", '
        '"Safari", "Firefox", "Edge", "Samsung Internet", "Opera"... A browser covers its mobile builds ("Chrome" '
        'is also "Chrome Mobile"); compared without regard to case.',
        examples=[["Safari"]],
    )
    countries: (
        Annotated[list[Country], Field(min_length=1, max_length=MAX_COUNTRIES), AfterValidator(_each_once("country"))]
        | None
    ) = Field(
        None,
        description="ISO 3166-1 alpha-2 country codes of the visitor's address, stored upper case.",
        examples=[["DE", "AT", "CH"]],
    )
    languages: (
        Annotated[list[Language], Field(min_length=1, max_length=MAX_LANGUAGES), AfterValidator(_each_once("language"))]
        | None
    ) = Field(
        None,
        description='Language tags of the visitor\'s browser (Accept-Language), stored lower case: "en" matches '
        'any English ("en-GB", "en-US"), "en-GB" only British English.',
        examples=[["de", "en-gb"]],
    )
    starts_at: When | None = Field(
        None,
        description="From this instant on (included), with a time zone; stored in UTC.",
        examples=["2026-12-01T00:00:00Z"],
    )
    ends_at: When | None = Field(
        None,
        description="Until this instant (excluded), with a time zone; after starts_at when both are set.",
        examples=["2026-12-27T00:00:00Z"],
    )

    @model_validator(mode="after")
    def _meaningful(self) -> RuleConditions:
        if all(getattr(self, name) is None for name in CONDITION_FIELDS):
            # It would match every visitor, so every rule and the split after it would never be used.
            raise ValueError(f"a rule needs at least one condition ({', '.join(CONDITION_FIELDS)})")
        if self.starts_at is not None and self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON stored: the conditions that are set, times as UTC ISO 8601 with Z."""
        values = {name: getattr(self, name) for name in CONDITION_FIELDS}
        return {name: _iso(value) if isinstance(value, datetime) else value for name, value in values.items() if value}


class TargetingRule(BaseModel):
    """Where visitors matching all of a rule's conditions go."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "iPhone in DACH",
                    "target": "https://apps.apple.com/app/id123",
                    "conditions": {"devices": ["mobile"], "os": ["iOS"], "countries": ["DE", "AT", "CH"]},
                }
            ]
        },
    )

    name: Name | None = Field(
        None,
        description=f'Up to {MAX_NAME} characters, unique among the link\'s rules; "Rule 1", "Rule 2"... by position '
        'when left out. Clicks that took the rule are counted as the route "rule:{name}".',
        examples=["Mobile"],
    )
    target: RoutedTarget = Field(
        description="Where the rule sends visitors: checked and normalised like target_url (the link's UTM "
        "parameters are merged into it too)."
    )
    conditions: RuleConditions

    def stored(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "conditions": self.conditions.stored()}


class Variant(BaseModel):
    """One arm of an A/B split: a target and its weight."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"name": "B", "target": "https://example.com/landing-b", "weight": 30}]},
    )

    name: Name | None = Field(
        None,
        description=f'Up to {MAX_NAME} characters, unique among the link\'s variants; "A", "B", "C"... by position '
        'when left out. Clicks of the variant are counted as the route "variant:{name}".',
        examples=["B"],
    )
    target: RoutedTarget = Field(
        description="Where the variant sends visitors: checked and normalised like target_url."
    )
    weight: int = Field(
        ge=1,
        le=MAX_WEIGHT,
        strict=True,
        description=f"A whole number from 1 to {MAX_WEIGHT}; the variant's share is its weight over the sum of all "
        "weights (70 and 30: a 70/30 split).",
        examples=[70],
    )

    def stored(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "weight": self.weight}


def _rule_name(position: int) -> str:
    return f"Rule {position + 1}"


def _variant_name(position: int) -> str:
    return chr(ord("A") + position) if position < 26 else f"V{position + 1}"


def _named(what: str, default: Callable[[int], str]) -> Callable[[list[Any]], list[Any]]:
    """A check that the names of a list are unique (case aside), and that fills in the names left out:
    the default for the item's position, or the next one no other item has."""

    def named(items: list[Any]) -> list[Any]:
        taken: dict[str, int] = {}
        for index, item in enumerate(items):
            if item.name is None:
                continue
            first = taken.setdefault(item.name.casefold(), index)
            if first != index:
                raise ValueError(f"{what}[{index}].name {item.name!r} is already the name of {what}[{first}]")
        filled: list[Any] = []
        for index, item in enumerate(items):
            if item.name is None:
                position = index
                while default(position).casefold() in taken:
                    position += 1
                taken[default(position).casefold()] = index
                item = item.model_copy(update={"name": default(position)})
            filled.append(item)
        return filled

    return named


Rules = Annotated[
    list[TargetingRule], Field(min_length=1, max_length=MAX_RULES), AfterValidator(_named("rules", _rule_name))
]
Variants = Annotated[
    list[Variant],
    Field(min_length=MIN_VARIANTS, max_length=MAX_VARIANTS),
    AfterValidator(_named("variants", _variant_name)),
]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def rules_json(rules: list[TargetingRule] | None) -> list[dict[str, Any]] | None:
    """The ``rules`` column an API ``rules`` sets (None: NULL, no rules)."""
    return None if rules is None else [rule.stored() for rule in rules]


def variants_json(variants: list[Variant] | None) -> list[dict[str, Any]] | None:
    """The ``variants`` column an API ``variants`` sets (None: NULL, no split)."""
    return None if variants is None else [variant.stored() for variant in variants]


def routing_columns(rules: list[TargetingRule] | None, variants: list[Variant] | None) -> dict[str, Any]:
    return {"rules": rules_json(rules), "variants": variants_json(variants)}


def with_routing_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """``LinkUpdate.changes()`` with ``rules`` and ``variants`` turned into the JSON their columns hold."""
    columns = dict(changes)
    if "rules" in changes:
        columns["rules"] = rules_json(changes["rules"])
    if "variants" in changes:
        columns["variants"] = variants_json(changes["variants"])
    return columns


# Reading back what this module stored: constructed, not validated again (the JSON was validated on
# its way in, and a later change to the checks must not turn reading a link into an error).


def _conditions_of(data: dict[str, Any]) -> RuleConditions:
    values: dict[str, Any] = {name: data.get(name) for name in CONDITION_FIELDS}
    for name in ("starts_at", "ends_at"):
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    return RuleConditions.model_construct(None, **values)


def rules_of(stored: list[dict[str, Any]] | None) -> list[TargetingRule] | None:
    """The API's ``rules`` from the ``rules`` column."""
    if stored is None:
        return None
    return [
        TargetingRule.model_construct(
            None, name=rule["name"], target=rule["target"], conditions=_conditions_of(rule.get("conditions") or {})
        )
        for rule in stored
    ]


def variants_of(stored: list[dict[str, Any]] | None) -> list[Variant] | None:
    """The API's ``variants`` from the ``variants`` column."""
    if stored is None:
        return None
    return [Variant.model_construct(None, name=v["name"], target=v["target"], weight=v["weight"]) for v in stored]


class RoutedTargetRejected(TargetRejected):
    """A rule's or variant's target refused; ``loc`` names it in the body, e.g. ("rules", 1, "target")."""

    def __init__(self, error: TargetRejected, loc: tuple[str | int, ...]) -> None:
        where = f"{loc[0]}[{loc[1]}].{loc[2]}"
        super().__init__(error.reason, f"{where}: {error}")
        self.loc = loc


def check_routed_targets(
    rules: Iterable[TargetingRule] | None,
    variants: Iterable[Variant] | None,
    *,
    short_hosts: Iterable[str],
    blocked_domains: Iterable[str],
) -> None:
    """Check the (already normalised) targets of rules and variants against the short domain and the
    blocked domains, as the link's own target is.

    Raises:
        RoutedTargetRejected: naming the first target refused.
    """
    hosts, blocked = list(short_hosts), list(blocked_domains)
    targets = [("rules", i, rule.target) for i, rule in enumerate(rules or ())]
    targets += [("variants", i, variant.target) for i, variant in enumerate(variants or ())]
    for field, index, target in targets:
        try:
            normalize_target(target, short_hosts=hosts, blocked_domains=blocked)
        except TargetRejected as error:
            raise RoutedTargetRejected(error, (field, index, "target")) from None
