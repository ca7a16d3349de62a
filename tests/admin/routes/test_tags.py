"""GET /tags: the tags of the links the caller may see, with their link counts, most used first."""

from __future__ import annotations

from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import Account, assert_problem
from tests.admin.db import sql
from tests.admin.routes.test_links import create


def _tags(client: TestClient, caller: Account) -> list[tuple[str, int]]:
    response = client.get("/api/v1/tags", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [(item["tag"], item["links"]) for item in response.json()]


def test_each_user_sees_the_tags_of_their_own_links(
    client: TestClient, alice: Account, bob: Account, root: Account
) -> None:
    assert _tags(client, alice) == []
    create(client, alice, tags=["Work", "urgent"])
    create(client, alice, tags=["work"])
    create(client, alice, tags=["work", "blog"])
    create(client, alice)
    create(client, bob, tags=["secret", "blog"])
    create(client, bob, tags=["secret"])
    # Most used first, ties by name; tags are stored lower-cased, so "Work" is "work".
    assert _tags(client, alice) == [("work", 3), ("blog", 1), ("urgent", 1)]
    assert _tags(client, bob) == [("secret", 2), ("blog", 1)]
    # An admin sees every link, so every tag, counted over everyone's links.
    assert _tags(client, root) == [("work", 3), ("blog", 2), ("secret", 2), ("urgent", 1)]


def test_tags_follow_changes_and_deletes(client: TestClient, alice: Account) -> None:
    create(client, alice, code="one", tags=["a", "b"])
    create(client, alice, code="two", tags=["a"])
    client.patch("/api/v1/links/one", json={"tags": ["c"]}, headers=alice.headers)
    assert _tags(client, alice) == [("a", 1), ("c", 1)]
    client.delete("/api/v1/links/two", headers=alice.headers)
    assert _tags(client, alice) == [("c", 1)]


def test_at_most_500_tags(client: TestClient, alice: Account, settings: Settings) -> None:
    # 511 tags: one of its own on each of 510 links, and "popular" on five of them.
    sql(
        settings,
        """INSERT INTO links (code, target_url, owner_id, tags)
           SELECT 'many' || n, 'https://example.com/', $1,
                  ARRAY[format('tag-%s', lpad(n::text, 3, '0'))] || CASE WHEN n < 5 THEN ARRAY['popular'] ELSE '{}' END
           FROM generate_series(0, 509) AS n""",
        alice.id,
    )
    tags = _tags(client, alice)
    assert len(tags) == 500
    assert tags[:3] == [("popular", 5), ("tag-000", 1), ("tag-001", 1)]
    assert tags[-1] == ("tag-498", 1)


def test_tags_need_the_links_read_scope(client: TestClient, alice: Account) -> None:
    create(client, alice, tags=["x"])
    reader = client.post("/api/v1/api-keys", json={"name": "r", "scopes": ["links:read"]}, headers=alice.headers)
    analyst = client.post("/api/v1/api-keys", json={"name": "a", "scopes": ["analytics:read"]}, headers=alice.headers)
    listed = client.get("/api/v1/tags", headers={"X-API-Key": reader.json()["key"]})
    assert listed.json() == [{"tag": "x", "links": 1}]
    refused = client.get("/api/v1/tags", headers={"X-API-Key": analyst.json()["key"]})
    assert_problem(refused, 403, "insufficient_scope")
    assert_problem(client.get("/api/v1/tags"), 401, "unauthorized")
