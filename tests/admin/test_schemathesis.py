"""Schemathesis over the OpenAPI spec against a real `hop admin` process: no input makes a 5xx.

Every operation gets a bounded number of valid (positive) and invalid (negative) examples,
sent with an admin's token so that the checks reach past authentication.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from common.settings import Settings
from tests.admin.api import PASSWORD
from tests.admin.db import sql
from tests.conftest import ProcessFactory

pytestmark = pytest.mark.e2e

EXAMPLES_PER_MODE = 12
TIME_BUDGET_S = 60


def _admin_token(base: str, settings: Settings) -> str:
    registered = httpx.post(f"{base}/api/v1/auth/register", json={"email": "fuzz@example.com", "password": PASSWORD})
    assert registered.status_code == 202, registered.text  # registration answers no id (docs/security.md)
    sql(settings, "UPDATE users SET role = 'admin' WHERE email = $1", "fuzz@example.com")
    token: str = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": "fuzz@example.com", "password": PASSWORD}
    ).json()["access_token"]
    # A few existing codes, so that generated paths sometimes reach a real link.
    for code in ("abc", "fuzz_1", "0"):
        created = httpx.post(
            f"{base}/api/v1/links",
            json={"target_url": "https://example.com/", "code": code},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
    return token


SIGN_OUT_EVERYWHERE = "/api/v1/users/me/sessions/revoke"


@pytest.mark.slow
def test_no_input_makes_a_server_error(settings: Settings, admin_factory: ProcessFactory) -> None:
    started = time.monotonic()
    failures: list[str] = []
    calls = 0
    timings: dict[str, float] = {}
    admin = admin_factory(settings)
    base = admin.url
    headers = {"Authorization": f"Bearer {_admin_token(base, settings)}"}
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base}/openapi.json").json())
    operations: list[schemathesis.APIOperation[Any, Any, Any, Any]] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the app's own spec failed to resolve: nothing to fuzz
        operations.append(result.ok())
    # Signing out everywhere ends the fuzzer's own token: fuzzed last, it leaves the others their reach.
    operations.sort(key=lambda operation: operation.path == SIGN_OUT_EVERYWHERE)
    for operation in operations:
        operation_started = time.monotonic()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case[Any]) -> None:
                nonlocal calls
                calls += 1
                status, content_type, body = _call(case, base, headers)
                if status >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> {status}: {case!r}")
                elif status >= 400 and content_type != "application/problem+json":
                    if not _refused_by_the_http_server(case, status, body):
                        failures.append(f"{case.method} {case.formatted_path} -> {content_type}: {case!r}")

            try:
                run()
            except Unsatisfiable:
                # Nothing in the operation can be made invalid (e.g. GET /healthz has no inputs).
                assert mode is GenerationMode.NEGATIVE, operation
        timings[operation.label] = time.monotonic() - operation_started
    log = admin.log()
    elapsed = time.monotonic() - started
    slowest = sorted(timings.items(), key=lambda item: -item[1])[:3]
    print(f"schemathesis: {len(operations)} operations, {calls} requests, {elapsed:.1f}s; slowest: {slowest}")
    assert not failures, "\n".join(failures[:10]) + "\n" + log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert calls > len(operations) * 2
    assert elapsed < TIME_BUDGET_S * 1.5


def _call(case: schemathesis.Case[Any], base: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """The status, content type and body of ``case``'s answer. An event stream (the live click feed)
    never ends by itself: its answer is read up to the headers, and its body only when it is an error."""
    if not _streams(case.operation):
        response = case.call(base_url=base, headers=headers, timeout=30)
        return response.status_code, response.headers.get("content-type", [""])[0], response.content
    with requests.request(**case.as_transport_kwargs(base_url=base, headers=headers), stream=True, timeout=30) as sent:
        content_type = sent.headers.get("content-type", "")
        return sent.status_code, content_type.split(";")[0], b"" if sent.ok else sent.content


def _streams(operation: schemathesis.APIOperation[Any, Any, Any, Any]) -> bool:
    success = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/event-stream" in success.get("content", {})


# Headers that frame the request itself: a malformed one is refused by Granian's HTTP parser with
# an empty 400 before any application code runs, so there is no problem document to expect.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "host"})


def _refused_by_the_http_server(case: schemathesis.Case[Any], status: int, body: bytes) -> bool:
    sent = {name.lower() for name in (case.headers or {})}
    return status == 400 and not body and bool(sent & _FRAMING_HEADERS)
