"""Social previews and UTM parameters at a real edge (Granian): link-preview crawlers get the link's
Open Graph page, escaped and inert; people get the redirect to the target with its UTM parameters,
counted as a click (edge/previews.py, common/utm.py)."""

from __future__ import annotations

import httpx
import pytest

from admin.links import Link
from common.edge_sync import sync_links
from common.link_passwords import hash_link_password
from common.records import LinkRecord, Preview, RecordRejected
from common.settings import Settings
from common.stores import Stores
from harness.clicks import stream_clicks
from tests.conftest import ProcessFactory
from tests.helpers import add_link, wait_until

pytestmark = pytest.mark.e2e

SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
TITLE = 'Spring sale <script>alert("x")</script>'
IMAGE = "https://cdn.example.com/cards/spring.png?size=1200x630&v=2"


async def describe(stores: Stores, link: Link, **columns: str) -> None:
    """Set the link's UTM and preview columns as the admin stores them, and push it to the edge."""
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=2))
    await stores.pool.execute(
        f"UPDATE links SET {assignments}, version = version + 1 WHERE code = $1", link.code, *columns.values()
    )
    assert await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=[link.code])


async def test_crawlers_get_the_preview_and_people_the_redirect_with_its_utm_parameters(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    link = await add_link(stores, settings, "https://example.com/sale?utm_source=old&ref=1", code="sale")
    await describe(
        stores,
        link,
        utm_source="newsletter",
        utm_campaign="spring sale",
        preview_title=TITLE,
        preview_description="Everything 20 % off & more",
        preview_image=IMAGE,
    )
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as client:
        for crawler in (SLACK, FACEBOOK):
            card = await client.get("/sale", headers={"user-agent": crawler})
            assert card.status_code == 200 and "location" not in card.headers
            assert card.headers["content-security-policy"].startswith("default-src 'none'")
        person = await client.get("/sale", headers={"user-agent": BROWSER})

    page = card.text
    assert '<meta property="og:title" content="Spring sale &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">' in page
    assert '<meta property="og:description" content="Everything 20 % off &amp; more">' in page
    assert f'<meta property="og:image" content="{IMAGE.replace("&", "&amp;")}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert "<script>" not in page and "example.com/sale" not in page  # inert, and no target handed out
    assert person.status_code == 302
    assert person.headers["location"] == "https://example.com/sale?ref=1&utm_source=newsletter&utm_campaign=spring+sale"
    wait_until(lambda: [click[1] for click in stream_clicks(settings)], lambda codes: codes == ["sale"])


async def test_without_a_preview_crawlers_follow_the_redirect_and_a_protected_link_shows_only_its_form(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    await add_link(stores, settings, "https://example.com/plain", code="plain")
    secret = await add_link(stores, settings, "https://example.com/secret", code="secret")
    await describe(stores, secret, preview_title="Secret plans", password_hash=await hash_link_password("pw-1234"))
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url, headers={"user-agent": SLACK}) as crawler:
        plain = await crawler.get("/plain")
        guarded = await crawler.get("/secret")
    assert plain.status_code == 302 and plain.headers["location"] == "https://example.com/plain"
    assert guarded.status_code == 200 and 'name="password"' in guarded.text and "Secret plans" not in guarded.text


def test_a_record_whose_preview_image_is_not_http_is_refused_as_unsafe() -> None:
    record = LinkRecord(target="https://example.com/", preview=Preview(title="t", image="javascript:alert(1)"))
    with pytest.raises(RecordRejected) as rejected:
        LinkRecord.decode(record.encode())
    assert rejected.value.reason == "unsafe"
    safe = LinkRecord(target="https://example.com/", preview=Preview(title="t", image=IMAGE))
    assert LinkRecord.decode(safe.encode()) == safe
