"""Targeting rules and the A/B split through the API: stored as the JSON the edge reads (names filled
in, targets canonical, countries upper case, languages lower case, times in UTC), in every answer,
replaced or removed by PATCH (a version bump the edge follows), refused with a 422 naming the field,
bulk-created, audited, left alone by CSV, and described in the OpenAPI document."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from common.records import LinkRecord
from common.settings import Settings
from tests.admin.api import Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.admin.routes.test_links import edge_record
from tests.admin.test_audit import entries
from tests.conftest import SettingsFactory

RULES = [
    {
        "name": "Mobile DE",
        "target": "HTTPS://Shop.Example/app store",
        "conditions": {"devices": ["mobile", "tablet"], "os": [" iOS ", "Android"], "countries": ["de", "At"]},
    },
    {
        "target": "https://shop.example/xmas",
        "conditions": {
            "languages": ["EN-gb", "pt-BR"],
            "browsers": ["Samsung Internet"],
            "starts_at": "2026-12-01T01:00:00+01:00",
            "ends_at": "2026-12-27T00:00:00Z",
        },
    },
]
STORED_RULES = [
    {
        "name": "Mobile DE",
        "target": "https://shop.example/app%20store",
        "conditions": {"devices": ["mobile", "tablet"], "os": ["iOS", "Android"], "countries": ["DE", "AT"]},
    },
    {
        "name": "Rule 2",
        "target": "https://shop.example/xmas",
        "conditions": {
            "browsers": ["Samsung Internet"],
            "languages": ["en-gb", "pt-br"],
            "starts_at": "2026-12-01T00:00:00Z",
            "ends_at": "2026-12-27T00:00:00Z",
        },
    },
]
NO_CONDITIONS = dict.fromkeys(("devices", "os", "browsers", "countries", "languages", "starts_at", "ends_at"))
SPLIT = [{"target": "https://shop.example/a", "weight": 70}, {"target": "https://shop.example/B/", "weight": 30}]
STORED_SPLIT = [
    {"name": "A", "target": "https://shop.example/a", "weight": 70},
    {"name": "B", "target": "https://shop.example/B/", "weight": 30},
]
MOBILE = {"target": "https://e.com/m", "conditions": {"devices": ["mobile"]}}


def answered(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules as the API answers them: every condition present, null when not set."""
    return [rule | {"conditions": NO_CONDITIONS | rule["conditions"]} for rule in stored]


def stored(settings: Settings, code: str) -> tuple[Any, Any, int]:
    """The link's rules and variants columns (parsed: the test's connection has no JSON codec), and its version."""
    row = sql(settings, "SELECT rules, variants, version FROM links WHERE code = $1", code)[0]
    rules, variants = (None if row[name] is None else orjson.loads(row[name]) for name in ("rules", "variants"))
    return rules, variants, row["version"]


def record(settings: Settings, code: str) -> LinkRecord:
    found = edge_record(settings, code)
    assert isinstance(found, LinkRecord), found
    return found


def create(client: TestClient, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("target_url", "https://example.com/page")
    response = client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def patch(client: TestClient, account: Account, code: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(f"/api/v1/links/{code}", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_rules_and_a_split_are_stored_as_the_edge_reads_them(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    link = create(client, alice, code="promo", target_url="https://shop.example/", rules=RULES, variants=SPLIT)
    assert link["rules"] == answered(STORED_RULES)
    assert link["variants"] == STORED_SPLIT
    assert client.get("/api/v1/links/promo", headers=alice.headers).json() == link

    rules, variants, _ = stored(settings, "promo")
    assert (rules, variants) == (STORED_RULES, STORED_SPLIT)
    routing = record(settings, "promo").routing
    assert routing is not None
    assert [(rule.route, rule.target) for rule in routing.rules] == [
        ("rule:Mobile DE", "https://shop.example/app%20store"),
        ("rule:Rule 2", "https://shop.example/xmas"),
    ]
    assert [(variant.route, variant.weight) for variant in routing.variants] == [("variant:A", 70), ("variant:B", 30)]


def test_a_link_without_routing_answers_nulls_and_the_list_carries_both(client: TestClient, alice: Account) -> None:
    plain = create(client, alice, code="plain")
    assert (plain["rules"], plain["variants"]) == (None, None)
    create(client, alice, code="split", variants=SPLIT)
    listed = {item["code"]: item for item in client.get("/api/v1/links", headers=alice.headers).json()["data"]}
    assert (listed["plain"]["rules"], listed["plain"]["variants"]) == (None, None)
    assert (listed["split"]["rules"], listed["split"]["variants"]) == (None, STORED_SPLIT)


def test_names_left_out_are_filled_in_by_position_around_the_names_given(client: TestClient, alice: Account) -> None:
    rules = [MOBILE, MOBILE | {"name": "Rule 1"}, MOBILE]
    variants = [{"target": "https://e.com/", "weight": 1}, {"name": "a", "target": "https://e.com/", "weight": 1}]
    link = create(client, alice, rules=rules, variants=variants)
    assert [rule["name"] for rule in link["rules"]] == ["Rule 2", "Rule 1", "Rule 3"]
    # Names are unique whatever their case: "a" takes "A", so the first variant is the next letter.
    assert [variant["name"] for variant in link["variants"]] == ["B", "a"]


def test_patch_replaces_keeps_or_removes_each_and_bumps_the_version(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    create(client, alice, code="camp", rules=RULES, variants=SPLIT)
    _, _, before = stored(settings, "camp")

    changed = patch(client, alice, "camp", {"rules": [MOBILE]})
    assert changed["rules"] == answered(
        [{"name": "Rule 1", "target": "https://e.com/m", "conditions": MOBILE["conditions"]}]
    )
    assert changed["variants"] == STORED_SPLIT
    assert stored(settings, "camp") == (
        [changed["rules"][0] | {"conditions": MOBILE["conditions"]}],
        STORED_SPLIT,
        before + 1,
    )
    routing = record(settings, "camp").routing
    assert routing is not None and [rule.target for rule in routing.rules] == ["https://e.com/m"]

    # Fields left out are left as they are, also by an update of other fields.
    kept = patch(client, alice, "camp", {"title": "Renamed", "target_url": "https://e.com/other"})
    assert (kept["rules"], kept["variants"]) == (changed["rules"], changed["variants"])

    removed = patch(client, alice, "camp", {"variants": None})
    assert (removed["rules"], removed["variants"]) == (changed["rules"], None)
    cleared = patch(client, alice, "camp", {"rules": None})
    assert (cleared["rules"], cleared["variants"]) == (None, None)
    assert stored(settings, "camp") == (None, None, before + 4)
    assert record(settings, "camp").routing is None


def test_the_audit_log_keeps_the_rules_and_variants(client: TestClient, alice: Account, root: Account) -> None:
    create(client, alice, code="audited", variants=SPLIT)
    patch(client, alice, "audited", {"rules": [MOBILE]})
    updated, created = entries(client, root, entity_type="link", entity_code="audited")
    assert (created["new_values"]["variants"], created["new_values"]["rules"]) == (STORED_SPLIT, None)
    assert updated["old_values"] == {"rules": None}
    assert updated["new_values"]["rules"][0]["name"] == "Rule 1"


def rule(**conditions: Any) -> dict[str, Any]:
    return {"target": "https://e.com/r", "conditions": conditions}


def split(*weights: Any) -> list[dict[str, Any]]:
    return [{"target": f"https://e.com/{n}", "weight": weight} for n, weight in enumerate(weights)]


# (body, the loc of the error, a part of its message)
INVALID: list[tuple[dict[str, Any], list[Any], str]] = [
    ({"rules": [rule()]}, ["rules", 0, "conditions"], "a rule needs at least one condition"),
    ({"rules": [MOBILE, rule(devices=None, os=None)]}, ["rules", 1, "conditions"], "at least one condition"),
    ({"rules": [{"target": "https://e.com/"}]}, ["rules", 0, "conditions"], "Field required"),
    ({"rules": [rule(devices=["phone"])]}, ["rules", 0, "conditions", "devices", 0], "'desktop', 'mobile'"),
    ({"rules": [rule(devices=[])]}, ["rules", 0, "conditions", "devices"], "at least 1 item"),
    ({"rules": [rule(devices=["bot", "bot"])]}, ["rules", 0, "conditions", "devices"], "'bot' is listed twice"),
    ({"rules": [rule(os=["macOS", "Mac OS X"])]}, ["rules", 0, "conditions", "os"], "listed twice (as 'macOS')"),
    ({"rules": [rule(os=["x" * 41])]}, ["rules", 0, "conditions", "os", 0], "at most 40 characters"),
    ({"rules": [rule(os=["i\tOS"])]}, ["rules", 0, "conditions", "os", 0], "control characters"),
    ({"rules": [rule(browsers=[f"b{n}" for n in range(21)])]}, ["rules", 0, "conditions", "browsers"], "at most 20"),
    ({"rules": [rule(countries=["DEU"])]}, ["rules", 0, "conditions", "countries", 0], "not a country code"),
    ({"rules": [rule(countries=["d1"])]}, ["rules", 0, "conditions", "countries", 0], "two letters"),
    ({"rules": [rule(countries=["de", "DE"])]}, ["rules", 0, "conditions", "countries"], "listed twice"),
    ({"rules": [rule(languages=["english"])]}, ["rules", 0, "conditions", "languages", 0], "not a language tag"),
    ({"rules": [rule(languages=["en_GB"])]}, ["rules", 0, "conditions", "languages", 0], "not a language tag"),
    (
        {"rules": [rule(starts_at="2026-12-02T00:00:00Z", ends_at="2026-12-01T00:00:00Z")]},
        ["rules", 0, "conditions"],
        "ends_at must be after starts_at",
    ),
    (
        {"rules": [rule(starts_at="2026-12-01T01:00:00+01:00", ends_at="2026-12-01T00:00:00Z")]},
        ["rules", 0, "conditions"],
        "ends_at must be after starts_at",
    ),
    ({"rules": [rule(starts_at="2026-12-01T00:00:00")]}, ["rules", 0, "conditions", "starts_at"], "time zone"),
    ({"rules": [rule(ends_at="soon")]}, ["rules", 0, "conditions", "ends_at"], "datetime"),
    ({"rules": [rule(weekdays=["mon"])]}, ["rules", 0, "conditions", "weekdays"], "Extra inputs"),
    ({"rules": [MOBILE | {"name": "Same"}, MOBILE | {"name": "same"}]}, ["rules"], "rules[1].name 'same' is already"),
    ({"rules": [MOBILE | {"name": "x" * 41}]}, ["rules", 0, "name"], "at most 40 characters"),
    ({"rules": [MOBILE | {"name": "  "}]}, ["rules", 0, "name"], "at least 1 character"),
    ({"rules": [MOBILE | {"name": "a\nb"}]}, ["rules", 0, "name"], "control characters"),
    ({"rules": [MOBILE] * 26}, ["rules"], "at most 25 items"),
    ({"rules": []}, ["rules"], "at least 1 item"),
    ({"rules": [MOBILE | {"target": "javascript:alert(1)"}]}, ["rules", 0, "target"], "only http:// and https://"),
    ({"rules": [MOBILE | {"target": "https://u:p@e.com/"}]}, ["rules", 0, "target"], "user name or password"),
    ({"variants": split(70, 0)}, ["variants", 1, "weight"], "greater than or equal to 1"),
    ({"variants": split(1001, 1)}, ["variants", 0, "weight"], "less than or equal to 1000"),
    ({"variants": split(1.5, 1)}, ["variants", 0, "weight"], "valid integer"),
    ({"variants": split(True, 1)}, ["variants", 0, "weight"], "valid integer"),
    ({"variants": split("70", 30)}, ["variants", 0, "weight"], "valid integer"),
    ({"variants": [{"target": "https://e.com/"}, *split(1)]}, ["variants", 0, "weight"], "Field required"),
    ({"variants": split(100)}, ["variants"], "at least 2 items"),
    ({"variants": split(*[1] * 11)}, ["variants"], "at most 10 items"),
    (
        {"variants": [{"name": "B", "target": "https://e.com/", "weight": 1}] * 2},
        ["variants"],
        "variants[1].name 'B' is already the name of variants[0]",
    ),
    (
        {"variants": [{"target": "data:text/html,hi", "weight": 1}, *split(1)]},
        ["variants", 0, "target"],
        "only http://",
    ),
    (
        {"variants": [{"target": "https://e.com/", "weight": 1, "share": 5}, *split(1)]},
        ["variants", 0, "share"],
        "Extra",
    ),
]


@pytest.mark.parametrize(("body", "loc", "message"), INVALID)
def test_invalid_rules_and_variants_are_a_422_naming_the_field(
    client: TestClient, alice: Account, body: dict[str, Any], loc: list[Any], message: str
) -> None:
    made = client.post("/api/v1/links", json={"target_url": "https://e.com/", **body}, headers=alice.headers)
    create(client, alice, code="kept", variants=SPLIT)
    changed = client.patch("/api/v1/links/kept", json=body, headers=alice.headers)
    for response in (made, changed):
        problem = assert_problem(response, 422, "validation_failed")
        assert [error["loc"] for error in problem["errors"]] == [["body", *loc]], problem
        assert message in problem["errors"][0]["msg"], problem
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 1
    assert client.get("/api/v1/links/kept", headers=alice.headers).json()["variants"] == STORED_SPLIT


def test_a_routed_target_on_a_blocked_or_the_short_domain_is_refused_like_the_links_own(
    settings_factory: SettingsFactory, client_factory: ClientFactory
) -> None:
    settings = settings_factory(blocked_domains="evil.example", short_base_url="https://hop.example")
    client = client_factory(settings)
    account = sign_up(client, "routed-targets@example.com")
    create(client, account, code="kept", rules=[MOBILE])
    refused = [
        (
            {"rules": [MOBILE, MOBILE | {"target": "https://sub.EVIL.example./x"}]},
            ["rules", 1, "target"],
            "blocked_domain",
        ),
        (
            {"variants": [*split(1), {"target": "https://%65vil.example/", "weight": 1}]},
            ["variants", 1, "target"],
            "blocked_domain",
        ),
        (
            {"variants": [{"target": "https://hop.example/abc", "weight": 1}, *split(1)]},
            ["variants", 0, "target"],
            "loop",
        ),
    ]
    for body, loc, reason in refused:
        made = client.post("/api/v1/links", json={"target_url": "https://e.com/", **body}, headers=account.headers)
        changed = client.patch("/api/v1/links/kept", json=body, headers=account.headers)
        retargeted = client.patch(
            "/api/v1/links/kept", json={"target_url": "https://e.com/new", **body}, headers=account.headers
        )
        for response in (made, changed, retargeted):
            problem = assert_problem(response, 422, reason)
            assert problem["errors"] == [{"loc": ["body", *loc], "msg": problem["detail"], "type": reason}]
            assert problem["detail"].startswith(f"{loc[0]}[{loc[1]}].target: ")
    # The link's own target is checked first, and named as before.
    both = client.patch(
        "/api/v1/links/kept", json={"target_url": "https://evil.example/", **refused[0][0]}, headers=account.headers
    )
    assert assert_problem(both, 422, "blocked_domain")["errors"][0]["loc"] == ["body", "target_url"]
    kept = client.get("/api/v1/links/kept", headers=account.headers).json()
    assert (kept["target_url"], len(kept["rules"]), kept["variants"]) == ("https://example.com/page", 1, None)
    assert client.get("/api/v1/links", headers=account.headers).json()["count"] == 1


def test_bulk_create_takes_rules_and_variants(settings_factory: SettingsFactory, client_factory: ClientFactory) -> None:
    settings = settings_factory(blocked_domains="evil.example")
    client = client_factory(settings)
    account = sign_up(client, "routed-bulk@example.com")
    items = [
        {"target_url": "https://e.com/1", "code": "bulk-a", "rules": RULES, "variants": SPLIT},
        {"target_url": "https://e.com/2", "code": "bulk-b"},
        {"target_url": "https://e.com/3", "code": "bulk-c", "rules": [rule()]},
        {
            "target_url": "https://e.com/4",
            "code": "bulk-d",
            "variants": [*split(1), {"target": "https://evil.example/", "weight": 1}],
        },
    ]
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=account.headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert (results[0]["link"]["rules"], results[0]["link"]["variants"]) == (answered(STORED_RULES), STORED_SPLIT)
    assert (results[1]["link"]["rules"], results[1]["link"]["variants"]) == (None, None)
    assert results[2]["error"]["code"] == "validation_failed"
    assert "rules.0.conditions" in results[2]["error"]["detail"]
    assert results[3]["error"] == {
        "code": "blocked_domain",
        "detail": "variants[1].target: links to evil.example are not allowed",
    }
    assert stored(settings, "bulk-a")[:2] == (STORED_RULES, STORED_SPLIT)
    assert record(settings, "bulk-a").routing is not None
    assert record(settings, "bulk-b").routing is None


def test_csv_carries_no_routing_and_never_wipes_it(client: TestClient, alice: Account, settings: Settings) -> None:
    create(client, alice, code="routed", target_url="https://e.com/", rules=RULES, variants=SPLIT)
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers)
    assert exported.status_code == 200
    row = next(csv.DictReader(io.StringIO(exported.text)))
    assert row["code"] == "routed" and not {"rules", "variants"} & set(row)

    # Importing the export again: the routed code is taken (the link stays as it is); under another
    # code it makes a plain link.
    headers = {**alice.headers, "Content-Type": "text/csv"}
    again = client.post("/api/v1/links/import.csv", content=exported.text, headers=headers).json()
    assert again["results"][0]["error"]["code"] == "code_taken"
    copy = exported.text.replace("routed,", "copied,", 1)
    assert client.post("/api/v1/links/import.csv", content=copy, headers=headers).json()["created"] == 1
    copied = client.get("/api/v1/links/copied", headers=alice.headers).json()
    assert (copied["rules"], copied["variants"]) == (None, None)
    assert stored(settings, "routed")[:2] == (STORED_RULES, STORED_SPLIT)


def test_the_openapi_document_describes_the_fields(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("LinkCreate", "LinkUpdate", "LinkPublic"):
        properties = schemas[model]["properties"]
        assert {"rules", "variants"} <= set(properties), model
        assert properties["rules"]["description"] and properties["variants"]["description"]
    assert "null removes them" in schemas["LinkUpdate"]["properties"]["rules"]["description"]
    assert (
        "where the link goes again once the split is removed"
        in schemas["LinkCreate"]["properties"]["variants"]["description"]
    )
    rules = schemas["LinkCreate"]["properties"]["rules"]["anyOf"][0]
    assert (rules["minItems"], rules["maxItems"]) == (1, 25)
    conditions = schemas["RuleConditions"]["properties"]
    assert set(conditions) == set(NO_CONDITIONS)
    assert conditions["countries"]["anyOf"][0]["items"]["pattern"] == "^[A-Za-z]{2}$"
    assert conditions["devices"]["anyOf"][0]["items"]["enum"] == ["desktop", "mobile", "tablet", "bot", "other"]
    assert all(field["description"] for field in conditions.values())
    assert conditions["starts_at"]["examples"] == ["2026-12-01T00:00:00Z"]
    weight = schemas["Variant"]["properties"]["weight"]
    assert (weight["minimum"], weight["maximum"], weight["type"]) == (1, 1000, "integer")
    assert schemas["TargetingRule"]["required"] == ["target", "conditions"]
