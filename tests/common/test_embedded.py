"""The path a machine without Redis or Postgres takes: embedded Valkey and Postgres we start ourselves."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from starlette.testclient import TestClient

from common.migrate import LATEST_VERSION, migrate
from common.services import EmbeddedServices, find_or_start, postgres_answers, redis_answers
from common.settings import Settings
from common.stores import open_stores
from edge.app import create_app
from harness.clicks import stream_clicks
from tests.helpers import add_link, wait_until


async def _migrate(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, schema="public")
        return len(await conn.fetch("SELECT version FROM schema_migrations"))
    finally:
        await conn.close()


def test_embedded_valkey_and_postgres_serve_a_redirect(tmp_path: Path) -> None:
    services = EmbeddedServices(data_dir=tmp_path)
    try:
        redis_url, database_url = find_or_start(services, redis_url=None, database_url=None, try_local=False)
        assert redis_answers(redis_url) and postgres_answers(database_url)
        assert "127.0.0.1:6379" not in redis_url and "5432" not in database_url
        assert asyncio.run(_migrate(database_url)) == LATEST_VERSION
        settings = Settings(environment="test", redis_url=redis_url, database_url=database_url)

        async def seed() -> None:
            async with open_stores(settings) as stores:
                await add_link(stores, settings, "https://example.com/embedded", code="emb")

        asyncio.run(seed())
        with TestClient(create_app(settings), follow_redirects=False) as client:
            response = client.get("/emb")
        assert response.status_code == 302 and response.headers["location"] == "https://example.com/embedded"
        # The edge hands clicks to a background flush; the click in the stream is the event to wait for.
        wait_until(lambda: stream_clicks(settings), what="the click in the stream")
        assert [click[1] for click in stream_clicks(settings)] == ["emb"]
        assert (tmp_path / "postgres" / "PG_VERSION").exists()
    finally:
        services.close()
