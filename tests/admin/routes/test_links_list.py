"""Listing links: cursor and page pagination, search, tag filter, sorting."""

from __future__ import annotations

import base64

import orjson
import pytest
from starlette.testclient import TestClient

from tests.admin.api import Account, assert_problem

Param = str | int  # a query parameter's value


@pytest.fixture
def many(client: TestClient, alice: Account) -> list[str]:
    codes = [f"code{n:02d}" for n in range(23)]
    items = [
        {
            "target_url": f"https://site{n}.example/path",
            "code": code,
            "title": "Summer sale" if n % 5 == 0 else f"Item {n}",
            "tags": ["even"] if n % 2 == 0 else ["odd"],
        }
        for n, code in enumerate(codes)
    ]
    created = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers).json()
    assert created["created"] == 23
    return codes


def _walk(client: TestClient, account: Account, **params: Param) -> list[str]:
    codes: list[str] = []
    cursor = None
    while True:
        query: dict[str, Param] = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/links", params=query, headers=account.headers).json()
        codes += [link["code"] for link in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return codes


@pytest.mark.parametrize("sort", ["code", "-code", "created_at", "-created_at", "click_count", "-updated_at"])
def test_cursor_pagination_visits_every_link_once(
    client: TestClient, alice: Account, many: list[str], sort: str
) -> None:
    codes = _walk(client, alice, limit=5, sort=sort)
    assert sorted(codes) == sorted(many)
    if sort in {"code", "created_at", "click_count"}:
        assert codes == sorted(many)
    if sort in {"-code", "-created_at", "-updated_at"}:
        assert codes == sorted(many, reverse=True)


def test_cursor_pagination_is_stable_while_links_are_added(client: TestClient, alice: Account, many: list[str]) -> None:
    first = client.get("/api/v1/links", params={"limit": 10, "sort": "code"}, headers=alice.headers).json()
    # One link lands on the page already read (offset paging would then repeat code09), one after it.
    for code in ("code00a", "code99"):
        client.post("/api/v1/links", json={"target_url": "https://e.com/", "code": code}, headers=alice.headers)
    rest = _walk_from(client, alice, first["next_cursor"], sort="code")
    seen = [link["code"] for link in first["data"]] + rest
    assert seen == [*sorted(many), "code99"]


def _walk_from(client: TestClient, account: Account, cursor: str, **params: Param) -> list[str]:
    codes: list[str] = []
    while cursor:
        page = client.get("/api/v1/links", params={**params, "limit": 10, "cursor": cursor}, headers=account.headers)
        body = page.json()
        codes += [link["code"] for link in body["data"]]
        cursor = body["next_cursor"]
    return codes


def test_page_pagination(client: TestClient, alice: Account, many: list[str]) -> None:
    pages = [
        client.get("/api/v1/links", params={"limit": 10, "page": p, "sort": "code"}, headers=alice.headers).json()
        for p in (1, 2, 3, 4)
    ]
    assert [len(p["data"]) for p in pages] == [10, 10, 3, 0]
    assert all(p["count"] == 23 and p["next_cursor"] is None for p in pages)
    assert [link["code"] for p in pages for link in p["data"]] == sorted(many)
    assert pages[1]["page"] == 2


def test_search_and_tag_filter(client: TestClient, alice: Account, many: list[str]) -> None:
    def codes(**params: Param) -> set[str]:
        page = client.get("/api/v1/links", params={"limit": 100, **params}, headers=alice.headers).json()
        assert page["count"] == len(page["data"])
        return {link["code"] for link in page["data"]}

    assert codes(q="summer") == {"code00", "code05", "code10", "code15", "code20"}
    assert codes(q="site7.") == {"code07"}
    assert codes(q="code1") == {f"code{n}" for n in range(10, 20)}
    assert codes(q="100%_") == set()
    assert codes(tag="EVEN") == {f"code{n:02d}" for n in range(0, 23, 2)}
    assert codes(tag="odd", q="summer") == {"code05", "code15"}


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


BAD_PARAMS: list[dict[str, Param]] = [
    {"cursor": "garbage!"},
    {"cursor": "WyJjb2RlIiwxLDFd"},  # ["code", 1, 1]: a number where the code goes
    {"sort": "title"},
    {"limit": 0},
    {"limit": 501},
    {"page": 0},
    {"page": 1, "cursor": "x"},
]


def test_bad_list_parameters_are_422(client: TestClient, alice: Account) -> None:
    for params in BAD_PARAMS:
        assert_problem(client.get("/api/v1/links", params=params, headers=alice.headers), 422)


def test_a_cursor_from_another_sort_is_refused(client: TestClient, alice: Account, many: list[str]) -> None:
    cursor = client.get("/api/v1/links", params={"limit": 2, "sort": "code"}, headers=alice.headers).json()
    response = client.get("/api/v1/links", params={"cursor": cursor["next_cursor"]}, headers=alice.headers)
    assert_problem(response, 422, "invalid_cursor")
