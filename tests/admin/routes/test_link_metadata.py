"""UTM parameters and the social preview through the API: stored as the link's own fields, merged
into the destination (and the edge's record) as common/utm.py does, replaced or cleared by PATCH,
validated (control characters, lengths, only absolute http(s) image URLs), audited, bulk-created,
and carried through CSV export and import."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.testclient import TestClient

from common.records import LinkRecord, Preview
from common.settings import Settings
from tests.admin.api import Account, assert_problem
from tests.admin.db import sql
from tests.admin.routes.test_links import create, edge_record
from tests.admin.test_audit import entries

NO_UTM = {"source": None, "medium": None, "campaign": None, "term": None, "content": None}
PREVIEW = {"title": "Black Friday", "description": "Everything half price.", "image": "https://cdn.example/bf.png"}


def record(settings: Settings, code: str) -> LinkRecord:
    found = edge_record(settings, code)
    assert isinstance(found, LinkRecord), found
    return found


def patch(client: TestClient, account: Account, code: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(f"/api/v1/links/{code}", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def version(settings: Settings, code: str) -> int:
    return int(sql(settings, "SELECT version FROM links WHERE code = $1", code)[0]["version"])


def test_utm_fields_are_merged_into_the_destination_and_the_edge_record(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    link = create(
        client,
        alice,
        code="promo",
        target_url="https://shop.example/sale?utm_source=old&ref=a%2Cb#top",
        utm={"source": " newsletter ", "medium": "email", "campaign": "black friday", "term": ""},
        preview=PREVIEW,
    )
    destination = (
        "https://shop.example/sale?ref=a%2Cb&utm_source=newsletter&utm_medium=email&utm_campaign=black+friday#top"
    )
    assert link["target_url"] == "https://shop.example/sale?utm_source=old&ref=a%2Cb#top"
    assert link["destination_url"] == destination
    assert link["utm"] == NO_UTM | {"source": "newsletter", "medium": "email", "campaign": "black friday"}
    assert link["preview"] == PREVIEW

    stored = record(settings, "promo")
    assert stored.target == destination
    assert stored.preview == Preview(**PREVIEW)


def test_a_link_without_metadata_shows_nulls_and_its_target(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    link = create(client, alice, code="plain", target_url="https://example.com/a?b=1")
    assert (link["utm"], link["preview"], link["destination_url"]) == (NO_UTM, None, "https://example.com/a?b=1")
    assert (record(settings, "plain").target, record(settings, "plain").preview) == ("https://example.com/a?b=1", None)
    # Blank fields are not set: no empty utm_source= in every redirect, no empty preview.
    blank = create(client, alice, code="blank", utm={"source": " "}, preview={"title": ""})
    assert (blank["utm"], blank["preview"], blank["destination_url"]) == (NO_UTM, None, blank["target_url"])


def test_patch_replaces_keeps_or_clears_each_group(client: TestClient, alice: Account, settings: Settings) -> None:
    create(
        client,
        alice,
        code="camp",
        target_url="https://example.com/",
        utm={"source": "a", "medium": "b"},
        preview=PREVIEW,
    )
    before = version(settings, "camp")

    # An object replaces the whole group: the medium left out is cleared.
    changed = patch(client, alice, "camp", {"utm": {"campaign": "c"}, "preview": {"title": "New"}})
    assert changed["utm"] == NO_UTM | {"campaign": "c"}
    assert changed["preview"] == {"title": "New", "description": None, "image": None}
    assert changed["destination_url"] == "https://example.com/?utm_campaign=c"
    assert record(settings, "camp").target == "https://example.com/?utm_campaign=c"
    assert record(settings, "camp").preview == Preview(title="New")
    assert version(settings, "camp") == before + 1

    # Absent: left as they are.
    kept = patch(client, alice, "camp", {"title": "Renamed"})
    assert (kept["utm"], kept["preview"]) == (changed["utm"], changed["preview"])

    cleared = patch(client, alice, "camp", {"utm": None, "preview": None})
    assert (cleared["utm"], cleared["preview"], cleared["destination_url"]) == (NO_UTM, None, "https://example.com/")
    assert (record(settings, "camp").target, record(settings, "camp").preview) == ("https://example.com/", None)
    assert version(settings, "camp") == before + 3


def test_a_preview_image_must_be_an_absolute_http_url(client: TestClient, alice: Account) -> None:
    create(client, alice, code="pic")
    for image in (
        "javascript:alert(1)",
        "/images/card.png",
        "card.png",
        "data:image/png;base64,AAAA",
        "ftp://e.com/a.png",
    ):
        body = {"target_url": "https://e.com/", "preview": {"image": image}}
        made = client.post("/api/v1/links", json=body, headers=alice.headers)
        changed = client.patch("/api/v1/links/pic", json={"preview": {"image": image}}, headers=alice.headers)
        for response in (made, changed):
            problem = assert_problem(response, 422, "validation_failed")
            assert [error["loc"] for error in problem["errors"]] == [["body", "preview", "image"]], image
            assert "absolute http:// or https:// URL" in problem["detail"]
    # Kept as a browser reads it.
    canonical = {"title": None, "description": None, "image": "https://cdn.example/a%20b.png"}
    assert create(client, alice, preview={"image": "HTTPS://CDN.Example/a b.png"})["preview"] == canonical


def test_control_characters_and_overlong_values_are_a_422_naming_the_field(client: TestClient, alice: Account) -> None:
    bad: list[tuple[dict[str, Any], list[str]]] = [
        ({"utm": {"source": "news\x00letter"}}, ["utm", "source"]),
        ({"utm": {"medium": "e\nmail"}}, ["utm", "medium"]),
        ({"utm": {"content": "x" * 201}}, ["utm", "content"]),
        ({"utm": {"channel": "x"}}, ["utm", "channel"]),
        ({"preview": {"title": "x" * 201}}, ["preview", "title"]),
        ({"preview": {"description": "x" * 501}}, ["preview", "description"]),
        ({"preview": {"description": "two\nlines"}}, ["preview", "description"]),
        ({"preview": {"image": "https://e.com/" + "a" * 2048}}, ["preview", "image"]),
    ]
    for body, field in bad:
        response = client.post("/api/v1/links", json={"target_url": "https://e.com/", **body}, headers=alice.headers)
        problem = assert_problem(response, 422, "validation_failed")
        assert [error["loc"] for error in problem["errors"]] == [["body", *field]], body
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0
    longest = create(client, alice, utm={"content": "x" * 200}, preview={"title": "x" * 200, "description": "y" * 500})
    assert longest["utm"] == NO_UTM | {"content": "x" * 200}


def test_the_list_returns_the_fields(client: TestClient, alice: Account) -> None:
    create(client, alice, code="listed", target_url="https://e.com/", utm={"source": "s"}, preview={"title": "T"})
    create(client, alice, code="bare")
    data = {item["code"]: item for item in client.get("/api/v1/links", headers=alice.headers).json()["data"]}
    assert data["listed"]["destination_url"] == "https://e.com/?utm_source=s"
    assert data["listed"]["utm"] == NO_UTM | {"source": "s"}
    assert data["listed"]["preview"] == {"title": "T", "description": None, "image": None}
    assert (data["bare"]["utm"], data["bare"]["preview"]) == (NO_UTM, None)


def test_the_audit_log_keeps_the_fields_like_the_title(client: TestClient, alice: Account, root: Account) -> None:
    create(client, alice, code="audited", utm={"source": "a"})
    patch(client, alice, "audited", {"utm": {"source": "b"}, "preview": {"title": "T"}})
    updated, created = entries(client, root, entity_type="link", entity_code="audited")
    assert created["new_values"]["utm_source"] == "a"
    assert created["new_values"]["preview_title"] is None
    assert updated["old_values"] == {"utm_source": "a", "preview_title": None}
    assert updated["new_values"] == {"utm_source": "b", "preview_title": "T"}


def test_bulk_create_takes_the_fields(client: TestClient, alice: Account, settings: Settings) -> None:
    items = [
        {"target_url": "https://e.com/1", "code": "bulk-a", "utm": {"source": "s"}, "preview": PREVIEW},
        {"target_url": "https://e.com/2", "code": "bulk-b"},
        {"target_url": "https://e.com/3", "code": "bulk-c", "preview": {"image": "javascript:alert(1)"}},
    ]
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["link"]["destination_url"] == "https://e.com/1?utm_source=s"
    assert results[0]["link"]["preview"] == PREVIEW
    assert results[1]["link"]["preview"] is None
    assert results[2]["error"]["code"] == "validation_failed" and "preview.image" in results[2]["error"]["detail"]
    assert record(settings, "bulk-a").target == "https://e.com/1?utm_source=s"
    assert record(settings, "bulk-a").preview == Preview(**PREVIEW)


def test_csv_export_and_import_carry_the_fields(client: TestClient, alice: Account, settings: Settings) -> None:
    create(
        client, alice, code="exported", target_url="https://e.com/", utm={"source": "s", "term": "=t"}, preview=PREVIEW
    )
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers)
    assert exported.status_code == 200
    row = next(csv.DictReader(io.StringIO(exported.text)))
    assert (row["utm_source"], row["utm_medium"], row["utm_term"]) == ("s", "", "'=t")
    assert (row["preview_title"], row["preview_image"]) == (PREVIEW["title"], PREVIEW["image"])

    # The export imports as is (under a new code), and the columns are optional.
    again = exported.text.replace("exported,", "imported,", 1)
    rows = "target_url,code\r\nhttps://e.com/2,minimal\r\n"
    headers = {**alice.headers, "Content-Type": "text/csv"}
    for body in (again, rows):
        answer = client.post("/api/v1/links/import.csv", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["failed"] == 0, answer.text
    imported = client.get("/api/v1/links/imported", headers=alice.headers).json()
    assert imported["utm"] == NO_UTM | {"source": "s", "term": "=t"}
    assert imported["preview"] == PREVIEW
    assert record(settings, "imported").target == "https://e.com/?utm_source=s&utm_term=%3Dt"
    assert client.get("/api/v1/links/minimal", headers=alice.headers).json()["preview"] is None
