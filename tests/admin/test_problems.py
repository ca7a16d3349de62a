"""Every error is an RFC 9457 problem (application/problem+json), whatever produced it."""

from __future__ import annotations

from starlette.testclient import TestClient

from admin.app import create_app
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem


def test_unknown_path_and_method(client: TestClient, alice: Account) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.put("/api/v1/links", headers=alice.headers), 405, "method_not_allowed")


def test_malformed_json_is_a_422_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"email": "x@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["type"] == "json_invalid"
    assert problem["instance"] == "/api/v1/auth/login"


def test_validation_problems_never_echo_the_input(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "bad", "password": PASSWORD})
    problem = assert_problem(response, 422, "validation_failed")
    assert PASSWORD not in response.text
    assert all(set(error) == {"loc", "msg", "type"} for error in problem["errors"])


def test_unexpected_errors_are_a_500_problem_without_internals(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text


def test_health_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


def test_openapi_documents_problems_and_both_auth_schemes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    create = spec["paths"]["/api/v1/links"]["post"]["responses"]
    assert "application/problem+json" in create["422"]["content"]
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def test_lone_surrogates_and_non_finite_numbers_are_422_problems(client: TestClient, alice: Account) -> None:
    """JSON that Python parses but no store can hold: once a 500 halfway through the request."""
    bodies = {
        "/api/v1/links": [
            rb'{"target_url": "https://example.com/", "title": "x\ud800y"}',
            rb'{"target_url": "https://example.com/\udfff"}',
            rb'{"target_url": "https://example.com/", "tags": ["\udc00"]}',
            rb'{"target_url": "https://example.com/", "max_clicks": NaN}',
            rb'{"target_url": "https://example.com/", "max_clicks": Infinity}',
        ],
        "/api/v1/links/bulk": [rb'{"links": [{"target_url": "https://example.com/", "title": "\ud83d"}]}'],
        "/api/v1/auth/register": [rb'{"email": "s@example.com", "password": "long enough \ud800 password"}'],
        "/api/v1/auth/login": [rb'{"email": "s\ud800@example.com", "password": "whatever it is"}'],
    }
    for path, cases in bodies.items():
        for body in cases:
            for content_type in ("application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"):
                headers = {**alice.headers, "Content-Type": content_type}
                problem = assert_problem(client.post(path, content=body, headers=headers), 422, "validation_failed")
                assert problem["errors"][0]["type"] == "json_invalid", problem
    headers = {**alice.headers, "Content-Type": "application/json"}
    patch = client.patch("/api/v1/links/nothing", content=rb'{"title": "\ud800"}', headers=headers)
    assert_problem(patch, 422, "validation_failed")
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0


def test_escaped_surrogate_pairs_are_stored(client: TestClient, alice: Account) -> None:
    body = rb'{"target_url": "https://example.com/", "code": "pair", "title": "hop \ud83d\udc07"}'
    headers = {**alice.headers, "Content-Type": "application/json"}
    created = client.post("/api/v1/links", content=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "hop \U0001f407"
