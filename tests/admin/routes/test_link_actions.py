"""POST /links/actions: one action on many links, each code through its single-link service
function (ownership, the edge's Redis record, the audit log), each with its own result."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from common.records import NEGATIVE, LinkRecord
from common.settings import Settings
from tests.admin.api import Account, assert_problem
from tests.admin.routes.test_links import create, edge_record

ACTIONS = "/api/v1/links/actions"


def act(client: TestClient, caller: Account, action: str, codes: list[str], **body: Any) -> dict[str, Any]:
    response = client.post(ACTIONS, json={"action": action, "codes": codes, **body}, headers=caller.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def outcomes(result: dict[str, Any]) -> list[tuple[str, bool, str | None]]:
    return [(r["code"], r["ok"], r["error"]["code"] if r["error"] else None) for r in result["results"]]


def link(client: TestClient, caller: Account, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/links/{code}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def audit(client: TestClient, root: Account, action: str) -> list[tuple[int, str, Any, Any]]:
    data = client.get("/api/v1/audit", params={"action": action}, headers=root.headers).json()["data"]
    return [(e["actor_id"], e["entity_code"], e["old_values"], e["new_values"]) for e in reversed(data)]


def test_disable_and_enable_reach_the_edge_per_code(
    client: TestClient, alice: Account, bob: Account, root: Account, settings: Settings
) -> None:
    for code in ("a1", "a2"):
        create(client, alice, code=code)
    create(client, bob, code="b1")
    result = act(client, alice, "disable", ["a1", "b1", "nope", "a2"])
    assert outcomes(result) == [
        ("a1", True, None),
        ("b1", False, "link_not_found"),
        ("nope", False, "link_not_found"),
        ("a2", True, None),
    ]
    assert (result["succeeded"], result["failed"]) == (2, 2)
    assert "b1" in result["results"][1]["error"]["detail"]
    # What POST /links/{code}/disable leaves at the edge: the tombstone.
    assert edge_record(settings, "a1") == edge_record(settings, "a2") == NEGATIVE
    assert link(client, alice, "a1")["disabled"] is True
    # Bob's link is untouched, at the edge too.
    assert isinstance(edge_record(settings, "b1"), LinkRecord)
    assert link(client, bob, "b1")["disabled"] is False
    assert audit(client, root, "link.disable") == [
        (alice.id, "a1", {"disabled": False}, {"disabled": True}),
        (alice.id, "a2", {"disabled": False}, {"disabled": True}),
    ]

    enabled = act(client, alice, "enable", ["a1", "a2"])
    assert (enabled["succeeded"], enabled["failed"]) == (2, 0)
    assert isinstance(edge_record(settings, "a1"), LinkRecord)
    assert link(client, alice, "a2")["disabled"] is False
    assert [entry[1] for entry in audit(client, root, "link.enable")] == ["a1", "a2"]


def test_single_and_bulk_disable_leave_the_same_edge_record(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    create(client, alice, code="single")
    create(client, alice, code="bulk")
    assert client.post("/api/v1/links/single/disable", headers=alice.headers).status_code == 200
    act(client, alice, "disable", ["bulk"])
    assert edge_record(settings, "single") == edge_record(settings, "bulk") == NEGATIVE


def test_delete(client: TestClient, alice: Account, bob: Account, root: Account, settings: Settings) -> None:
    create(client, alice, code="gone")
    create(client, bob, code="bobs")
    result = act(client, alice, "delete", ["gone", "bobs"])
    assert outcomes(result) == [("gone", True, None), ("bobs", False, "link_not_found")]
    assert_problem(client.get("/api/v1/links/gone", headers=alice.headers), 404, "link_not_found")
    assert edge_record(settings, "gone") == NEGATIVE
    assert link(client, bob, "bobs")["code"] == "bobs"
    assert [(entry[0], entry[1]) for entry in audit(client, root, "link.delete")] == [(alice.id, "gone")]
    # Deleted once: the second time it is unknown.
    assert outcomes(act(client, alice, "delete", ["gone"])) == [("gone", False, "link_not_found")]


def test_tag_and_untag(client: TestClient, alice: Account, root: Account, settings: Settings) -> None:
    create(client, alice, code="t1", tags=["keep"])
    create(client, alice, code="t2", tags=["new", "keep"])
    before = link(client, alice, "t2")
    tagged = act(client, alice, "tag", ["t1", "t2"], tags=[" New ", "other"])
    assert (tagged["succeeded"], tagged["failed"]) == (2, 0)
    assert link(client, alice, "t1")["tags"] == ["keep", "new", "other"]
    assert link(client, alice, "t2")["tags"] == ["keep", "new", "other"]
    record = edge_record(settings, "t2")
    assert isinstance(record, LinkRecord) and record.version == 2
    assert link(client, alice, "t2")["updated_at"] > before["updated_at"]

    # Nothing to add: the link is left as it is, and nothing is recorded.
    assert act(client, alice, "tag", ["t1"], tags=["keep"])["succeeded"] == 1
    untagged = act(client, alice, "untag", ["t1", "t2"], tags=["new", "absent"])
    assert untagged["succeeded"] == 2
    assert link(client, alice, "t1")["tags"] == link(client, alice, "t2")["tags"] == ["keep", "other"]
    assert audit(client, root, "link.update") == [
        (alice.id, "t1", {"tags": ["keep"]}, {"tags": ["keep", "new", "other"]}),
        (alice.id, "t2", {"tags": ["keep", "new"]}, {"tags": ["keep", "new", "other"]}),
        (alice.id, "t1", {"tags": ["keep", "new", "other"]}, {"tags": ["keep", "other"]}),
        (alice.id, "t2", {"tags": ["keep", "new", "other"]}, {"tags": ["keep", "other"]}),
    ]


def test_tagging_never_passes_the_tag_limit(client: TestClient, alice: Account) -> None:
    create(client, alice, code="full", tags=[f"t{n}" for n in range(32)])
    create(client, alice, code="room", tags=[])
    result = act(client, alice, "tag", ["full", "room"], tags=["one more"])
    assert outcomes(result) == [("full", False, "too_many_tags"), ("room", True, None)]
    assert len(link(client, alice, "full")["tags"]) == 32
    # A tag the link already has adds nothing, so it is no error.
    assert act(client, alice, "tag", ["full"], tags=["t0"])["succeeded"] == 1


def test_an_admin_acts_on_anyones_links(client: TestClient, alice: Account, root: Account, settings: Settings) -> None:
    create(client, alice, code="hers")
    assert outcomes(act(client, root, "disable", ["hers"])) == [("hers", True, None)]
    assert edge_record(settings, "hers") == NEGATIVE
    assert audit(client, root, "link.disable") == [(root.id, "hers", {"disabled": False}, {"disabled": True})]


INVALID_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"action": "disable", "codes": []}, "codes"),
    ({"action": "disable", "codes": [f"c{n}" for n in range(501)]}, "codes"),
    ({"action": "disable", "codes": ["same", "same"]}, "codes"),
    ({"action": "disable", "codes": ["a b"]}, "codes"),
    ({"action": "disable", "codes": ["ok"], "tags": ["x"]}, "tags"),
    ({"action": "tag", "codes": ["ok"]}, "tags"),
    ({"action": "untag", "codes": ["ok"], "tags": []}, "tags"),
    ({"action": "tag", "codes": ["ok"], "tags": [" "]}, "tags"),
    ({"action": "tag", "codes": ["ok"], "tags": ["a,b"]}, "tags"),
    ({"action": "tag", "codes": ["ok"], "tags": ["x" * 65]}, "tags"),
    ({"action": "tag", "codes": ["ok"], "tags": ["nul\x00"]}, "tags"),
    ({"action": "archive", "codes": ["ok"]}, "action"),
    ({"codes": ["ok"]}, "action"),
    ({"action": "disable", "codes": ["ok"], "extra": 1}, "extra"),
]


def test_bodies_are_validated(client: TestClient, alice: Account) -> None:
    create(client, alice, code="ok")
    for body, field in INVALID_BODIES:
        problem = assert_problem(client.post(ACTIONS, json=body, headers=alice.headers), 422, "validation_failed")
        assert [error["loc"][1] for error in problem["errors"]] == [field], (body, problem["errors"])
    assert link(client, alice, "ok")["disabled"] is False


def test_actions_need_the_links_write_scope(client: TestClient, alice: Account) -> None:
    create(client, alice, code="mine")
    reader = client.post("/api/v1/api-keys", json={"name": "r", "scopes": ["links:read"]}, headers=alice.headers)
    writer = client.post("/api/v1/api-keys", json={"name": "w", "scopes": ["links:write"]}, headers=alice.headers)
    body = {"action": "disable", "codes": ["mine"]}
    assert_problem(
        client.post(ACTIONS, json=body, headers={"X-API-Key": reader.json()["key"]}), 403, "insufficient_scope"
    )
    assert_problem(client.post(ACTIONS, json=body), 401, "unauthorized")
    done = client.post(ACTIONS, json=body, headers={"X-API-Key": writer.json()["key"]})
    assert done.status_code == 200 and done.json()["succeeded"] == 1
