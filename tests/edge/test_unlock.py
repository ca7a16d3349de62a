"""Password-protected links at a real edge (Granian): the form, the password checked and throttled,
the redirect with its cookie, and the click counted once, when the redirect happens (edge/unlock.py)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from admin.links import Link
from common.edge_sync import sync_links
from common.link_passwords import hash_link_password
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.browser import PHONE, ROOT, axe_scan, blocking, chromium
from harness.clicks import stream_clicks
from harness.processes import Process
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until, wait_until_async

pytestmark = pytest.mark.e2e

PASSWORD = "open sesame"
TARGET = "https://example.com/secret-plans"
FORM = {"content-type": "application/x-www-form-urlencoded"}
ARTIFACTS = ROOT / "artifacts" / "screenshots"


async def protect(stores: Stores, link: Link, password: str) -> None:
    """Set the link's password as the admin stores it, and push the change to the edge."""
    await stores.pool.execute(
        "UPDATE links SET password_hash = $2, version = version + 1 WHERE code = $1",
        link.code,
        await hash_link_password(password),
    )
    assert await sync_links(pool=stores.pool, redis=stores.redis, keys=stores.keys, edge_keys=[link.code])


def clicks_of(settings: Settings, code: str) -> int:
    return sum(1 for click in stream_clicks(settings) if click[1] == code)


def forged(set_cookie: str) -> str:
    """The cookie's token with the last character of its signature changed."""
    token = set_cookie.split(";")[0].split("=", 1)[1]
    return token[:-1] + ("B" if token.endswith("A") else "A")


async def test_the_form_then_a_wrong_and_a_right_password_then_the_cookie_and_one_click_per_redirect(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    link = await add_link(stores, settings, TARGET, code="plans")
    await protect(stores, link, PASSWORD)
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as visitor:
        form = await visitor.get("/plans")
        assert form.status_code == 200 and "location" not in form.headers
        assert 'name="password" type="password"' in form.text and TARGET not in form.text
        policy = form.headers["content-security-policy"]
        assert "form-action 'self' http: https:" in policy and "script-src" not in policy
        assert (await visitor.head("/plans")).status_code == 200

        wrong = await visitor.post("/plans", content="password=guess", headers=FORM)
        assert wrong.status_code == 403 and 'role="alert"' in wrong.text and "set-cookie" not in wrong.headers

        right = await visitor.post("/plans", content="password=open+sesame", headers=FORM)
        assert right.status_code == 303 and right.headers["location"] == TARGET
        cookie = right.headers["set-cookie"]
        assert re.match(r"^hop_unlock=\d+\.[\w-]+; Path=/plans; Max-Age=3600; HttpOnly; SameSite=Lax$", cookie)
        wait_until(lambda: clicks_of(settings, "plans"), lambda count: count == 1, what="the unlock's click")

        again = await visitor.get("/plans")  # the client keeps the cookie
        assert again.status_code == 302 and again.headers["location"] == TARGET
        wait_until(lambda: clicks_of(settings, "plans"), lambda count: count == 2, what="the second visit's click")

    async with httpx.AsyncClient(base_url=edge.url) as stranger:
        assert (await stranger.get("/plans")).status_code == 200  # no cookie: the form
        stranger.cookies.set("hop_unlock", forged(cookie), path="/plans")
        assert (await stranger.get("/plans")).status_code == 200  # a forged cookie: the form
    assert clicks_of(settings, "plans") == 2  # the forms, the HEAD and the wrong password: no click


async def test_guesses_are_throttled_per_address_and_link_even_for_the_right_password(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(link_unlock_attempts=3)
    async with open_stores(settings) as stores:
        for code in ("vault", "other"):
            await protect(stores, await add_link(stores, settings, TARGET, code=code), PASSWORD)
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as guesser:
        statuses = [
            (await guesser.post("/vault", content=f"password=guess{n}", headers=FORM)).status_code for n in range(3)
        ]
        throttled = await guesser.post("/vault", content="password=open+sesame", headers=FORM)
        other = await guesser.post("/other", content="password=open+sesame", headers=FORM)
    assert statuses == [403, 403, 403]
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["retry-after"]) <= 900
    assert "Too many attempts" in throttled.text
    assert other.status_code == 303  # another link's count is its own


async def test_a_new_password_ends_the_old_cookies_and_the_query_is_forwarded(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(cache_ttl=300.0)
    async with open_stores(settings) as stores:
        link = await add_link(stores, settings, TARGET, code="fwd", forward_query=True)
        await protect(stores, link, PASSWORD)
        edge = edge_factory(settings)
        async with httpx.AsyncClient(base_url=edge.url) as visitor:
            right = await visitor.post("/fwd?utm_source=mail", content="password=open+sesame", headers=FORM)
            assert right.headers["location"] == f"{TARGET}?utm_source=mail"
            assert (await visitor.get("/fwd")).status_code == 302

            await protect(stores, link, "a new secret")
            # The change reaches the edge by pub/sub; the old cookie then opens nothing.
            await wait_for_status(visitor, "/fwd", 200)


async def test_open_links_take_no_password_and_unknown_codes_stay_unknown(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    await add_link(stores, settings, TARGET, code="open")
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as visitor:
        assert (await visitor.post("/open", content="password=x", headers=FORM)).status_code == 405
        assert (await visitor.post("/missing", content="password=x", headers=FORM)).status_code == 404
        assert (await visitor.get("/open")).status_code == 302


async def test_a_click_limited_protected_link_counts_its_uses_at_the_unlock(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    link = await add_link(stores, settings, TARGET, code="once", max_clicks=1)
    await protect(stores, link, PASSWORD)
    edge = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as first, httpx.AsyncClient(base_url=edge.url) as second:
        assert (await first.post("/once", content="password=open+sesame", headers=FORM)).status_code == 303
        assert (await second.post("/once", content="password=open+sesame", headers=FORM)).status_code == 404


async def test_bodies_that_are_not_a_small_password_form_are_refused(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    await protect(stores, await add_link(stores, settings, TARGET, code="strict"), PASSWORD)
    edge: Process = edge_factory(settings)
    async with httpx.AsyncClient(base_url=edge.url) as visitor:
        as_json = await visitor.post("/strict", json={"password": PASSWORD})
        huge = await visitor.post("/strict", content="password=" + "a" * 257, headers=FORM)
        flood = await visitor.post("/strict", content="password=" + "a" * 100_000, headers=FORM)
        twice = await visitor.post("/strict", content="password=a&password=open+sesame", headers=FORM)
    assert [as_json.status_code, huge.status_code, flood.status_code, twice.status_code] == [400] * 4


async def wait_for_status(client: httpx.AsyncClient, path: str, status: int) -> None:
    await wait_until_async(
        lambda: client.get(path), lambda response: response.status_code == status, what=f"{path} answering {status}"
    )


async def test_a_visitor_in_chromium_sees_an_accessible_form_and_lands_on_the_target(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    edge = edge_factory(settings)
    with landing_page() as target:  # the browser may go nowhere but 127.0.0.1
        link = await add_link(stores, settings, target, code="browser")
        await protect(stores, link, PASSWORD)
        await asyncio.to_thread(visit_in_chromium, edge.url)
    wait_until(lambda: clicks_of(settings, "browser"), lambda count: count == 2, what="two clicks: unlock, revisit")


@contextmanager
def landing_page() -> Iterator[str]:
    """A page of its own on 127.0.0.1 that answers "landed", for the link to point at."""

    class Landing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"landed")

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Landing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}/landing"
    finally:
        server.shutdown()
        server.server_close()


def visit_in_chromium(edge_url: str) -> None:
    with chromium() as browser:
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            page = context.new_page()
            page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
            page.goto(f"{edge_url}/browser")
            expect(page.get_by_role("heading", name="This link is protected")).to_be_visible()
            assert not blocking(axe_scan(page))
            page.screenshot(path=str(ARTIFACTS / f"link-password-form-{scheme}.png"))
            context.close()
        page = browser.new_page()
        page.goto(f"{edge_url}/browser")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_have_text("That password is not right. Try again.")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("body")).to_have_text("landed")
        page.goto(f"{edge_url}/browser")  # the cookie: straight through
        expect(page.locator("body")).to_have_text("landed")
