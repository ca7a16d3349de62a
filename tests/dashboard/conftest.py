"""The dashboard in a real Chromium against real admin, edge and worker processes.

Each test gets its own stack (its own schema and key prefix) and a fresh browser context; a
failing test leaves a screenshot under artifacts/failures/. Console errors and CSP violations
fail the test: the dashboard must run under its policy without a single refusal.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from common.settings import Settings
from harness.browser import DESKTOP, ROOT, chromium, require_dashboard
from harness.processes import Process
from tests.conftest import ProcessFactory
from tests.mail import Inbox, smtp_sink

ARTIFACTS = ROOT / "artifacts"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    """A running Hop: admin (serving the dashboard), edge and worker on one namespace."""

    settings: Settings
    admin: Process
    edge: Process
    worker: Process
    inbox: Inbox

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.admin.url}/api/v1", timeout=10)

    def create_first_admin(self, email: str = "admin@example.com", password: str = PASSWORD) -> str:
        """The instance's first admin, made through the setup endpoint; returns an access token."""
        with self.api() as api:
            response = api.post("/instance/setup", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        return str(response.json()["access_token"])


FAILED = pytest.StashKey[bool]()
Report = pytest.TestReport


@dataclass
class BrowserErrors:
    """What the page complained about: console errors (CSP refusals among them) and page crashes."""

    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # A 401 or 404 the page asked for on purpose is logged by Chromium as a failed resource load.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.messages.append(message.text)


@pytest.fixture
def stack(
    settings: Settings, admin_factory: ProcessFactory, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> Iterator[Stack]:
    """Admin, edge and worker on this test's namespace; the admin mails to an SMTP server of the test's own."""
    # The worker starts beside the edge and the admin (which needs the edge's address): each start
    # waits on its process's log, so starting them one by one would add up those waits.
    with smtp_sink() as (inbox, smtp_port), ThreadPoolExecutor(max_workers=1) as starter:
        worker = starter.submit(worker_factory, settings)
        edge = edge_factory(settings)
        admin = admin_factory(
            settings,
            admin_dashboard_dir=require_dashboard(),
            short_base_url=edge.url,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_tls="none",
        )
        yield Stack(settings=settings, admin=admin, edge=edge, worker=worker.result(), inbox=inbox)


@contextmanager
def browser_page(stack: Stack, request: pytest.FixtureRequest, **options: Any) -> Iterator[Page]:
    """A page in a fresh Chromium on the stack's admin; ``options`` go to its context (viewport, colour scheme).

    A browser per test, started after the stack and closed before it stops: Playwright's sync API
    holds an event loop while it runs, and the fixtures that make and drop the stack's namespace
    run their own. A failed test leaves a screenshot under artifacts/failures/; a passing one must have logged no
    console error (a CSP refusal is one) and thrown nothing.
    """
    with chromium() as browser:
        yield from _page_in(browser, stack, request, {"viewport": DESKTOP} | options)


def _page_in(browser: Browser, stack: Stack, request: pytest.FixtureRequest, options: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.admin.url, **options)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors = BrowserErrors()
    opened.on("console", errors.console)
    opened.on("pageerror", lambda error: errors.messages.append(f"uncaught: {error}"))
    try:
        yield opened
    finally:
        failed = request.node.stash.get(FAILED, False)
        if failed:
            path = ARTIFACTS / "failures" / f"{request.node.name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            opened.screenshot(path=str(path), full_page=True)
        context.close()
    assert not errors.messages, errors.messages


@pytest.fixture
def page(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Page]:
    with browser_page(stack, request) as opened:
        yield opened


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under artifacts/screenshots/, named for the page and viewport."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
