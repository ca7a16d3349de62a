"""CSV import accepts what curl sends: a raw body (--data-binary) and a multipart form (-F file=@...)."""

from __future__ import annotations

from starlette.testclient import TestClient

from admin.body_limit import MAX_BODY_BYTES
from tests.admin.api import Account, assert_problem

CSV = "code,target_url,tags\r\nform1,https://example.com/1,a\r\nform2,https://example.com/2,\r\n"
IMPORT = "/api/v1/links/import.csv"


def codes(client: TestClient, account: Account) -> set[str]:
    return {link["code"] for link in client.get("/api/v1/links", headers=account.headers).json()["data"]}


def test_import_accepts_a_multipart_file(client: TestClient, alice: Account) -> None:
    # What `curl -F file=@links.csv` sends.
    response = client.post(IMPORT, files={"file": ("links.csv", CSV.encode(), "text/csv")}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["failed"]) == (2, 0)
    assert codes(client, alice) == {"form1", "form2"}


def test_import_accepts_a_multipart_text_field_and_a_raw_body(client: TestClient, alice: Account) -> None:
    # `curl -F file=<links.csv` sends the file as a plain field.
    as_field = client.post(IMPORT, data={"file": CSV}, files={"other": ("x", b"", "text/plain")}, headers=alice.headers)
    assert as_field.status_code == 200, as_field.text
    assert as_field.json()["created"] == 2
    raw = CSV.replace("form", "raw").encode()
    # `curl --data-binary @links.csv` sends form-urlencoded as its content type; the body is still the CSV.
    for n, content_type in enumerate(("text/csv", "application/x-www-form-urlencoded", "application/octet-stream")):
        body = raw.replace(b"raw", f"raw{n}x".encode())
        response = client.post(IMPORT, content=body, headers={**alice.headers, "Content-Type": content_type})
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 2
    assert len(codes(client, alice)) == 8


def test_a_form_without_the_file_field_is_a_422_problem(client: TestClient, alice: Account) -> None:
    response = client.post(IMPORT, files={"upload": ("links.csv", CSV.encode(), "text/csv")}, headers=alice.headers)
    problem = assert_problem(response, 422, "invalid_csv")
    assert "'file'" in problem["detail"]
    not_utf8 = client.post(
        IMPORT, files={"file": ("l.csv", "target_url\r\nhttps://é.com/\r\n".encode("latin-1"))}, headers=alice.headers
    )
    assert_problem(not_utf8, 422, "invalid_csv")
    assert codes(client, alice) == set()


def test_a_multipart_body_over_the_limit_is_413(client: TestClient, alice: Account) -> None:
    big = b"target_url\r\n" + b"https://example.com/x\r\n" * (MAX_BODY_BYTES // 20)
    response = client.post(IMPORT, files={"file": ("big.csv", big, "text/csv")}, headers=alice.headers)
    assert_problem(response, 413, "body_too_large")
    assert codes(client, alice) == set()
