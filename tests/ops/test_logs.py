"""Logs: JSON in production, readable in dev, with the request id, and never a secret or a full IP."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from common.logs import REQUEST_ID, configure_logging, redact
from common.settings import Settings
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import PRODUCTION_SECRETS


@pytest.mark.parametrize(
    ("line", "leak"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIiOiIxIn0"),
        ("api key hop_abcdefgh12345678XYZ used", "abcdefgh12345678XYZ"),
        ("login password=hunter2&next=/", "hunter2"),
        ('{"password": "hunter2"}', "hunter2"),
        ("redis://user:s3cret@valkey:6379/0", "s3cret"),
        ("visit from 198.51.100.77", "198.51.100.77"),
        ("visit from 2001:db8:1:2::5", "2001:db8:1:2::5"),
    ],
)
def test_redact_removes_secrets_and_full_ips(line: str, leak: str) -> None:
    assert leak not in redact(line)


def test_redact_keeps_our_own_addresses_and_truncates_visitors() -> None:
    assert redact("listening on 127.0.0.1:8000 and 0.0.0.0, valkey at 172.18.0.3") == (
        "listening on 127.0.0.1:8000 and 0.0.0.0, valkey at 172.18.0.3"
    )
    assert redact("visit from 198.51.100.77") == "visit from 198.51.100.0/24"


def _log_through_hop(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: object) -> str:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    hop = logging.getLogger("hop")
    saved = (hop.handlers[:], hop.level, hop.propagate)
    configure_logging(settings)
    token = REQUEST_ID.set("req-42")
    try:
        logging.getLogger("hop.test").warning(*args)
    finally:
        REQUEST_ID.reset(token)
        hop.handlers[:], hop.level, hop.propagate = saved  # other tests' caplog relies on propagation
    return stream.getvalue()


def test_production_logs_are_json_with_request_id_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(**PRODUCTION_SECRETS)
    out = _log_through_hop(settings, monkeypatch, "reset for %s with password=%s", "198.51.100.9", "hunter2")
    record = orjson.loads(out)
    assert record["level"] == "warning" and record["logger"] == "hop.test" and record["request_id"] == "req-42"
    assert record["msg"] == "reset for 198.51.100.0/24 with password=[redacted]"


def test_dev_logs_are_readable_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _log_through_hop(Settings(environment="local"), monkeypatch, "hello %s", "world")
    assert out.rstrip().endswith("WARNING hop.test: hello world [req-42]")


@pytest.mark.e2e
def test_production_edge_writes_only_json_lines(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(**PRODUCTION_SECRETS)
    edge = edge_factory(settings, workers=2)
    assert edge.terminate() == 0
    lines = [line for line in edge.log().splitlines() if line.strip()]
    records = [orjson.loads(line) for line in lines]  # fails on any line that is not JSON
    messages = [record["msg"] for record in records]
    assert sum("Started worker" in message for message in messages) >= 2  # Granian's own lines too
    assert any(record["logger"] == "hop.edge" for record in records)
