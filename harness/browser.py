"""Debian's Chromium driven by Playwright, for the dashboard's end-to-end tests and its bench.

Playwright cannot download its own browser here, so it drives /usr/bin/chromium (`make chromium`
installs it). The flags keep Chromium from reaching out to the network at start-up, which a
closed network answers slowly and noisily.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from common.settings import REPOSITORY_DASHBOARD

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_DIST = REPOSITORY_DASHBOARD
AXE_SOURCE = REPOSITORY_DASHBOARD.parent / "node_modules" / "axe-core" / "axe.min.js"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# axe-core rules at these impacts fail the accessibility scan.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def require_dashboard() -> Path:
    """The built dashboard; a clear error when it is missing (`make dashboard` builds it)."""
    if not (DASHBOARD_DIST / "index.html").is_file():
        raise RuntimeError(f"the dashboard is not built ({DASHBOARD_DIST}): run `make dashboard`")
    return DASHBOARD_DIST


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block: HOP_TEST_CHROMIUM, else Debian's."""
    executable = Path(os.environ.get("HOP_TEST_CHROMIUM", DEFAULT_CHROMIUM))
    if not executable.is_file():
        raise RuntimeError(f"no Chromium at {executable}: run `make chromium` (Debian's package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def axe_scan(page: Page) -> list[dict[str, Any]]:
    """The axe-core violations on the page as it is now (WCAG 2.1 A and AA rules).

    Evaluated through the DevTools protocol, which the page's CSP does not govern, so the scan
    needs no exception in the policy the dashboard is served with.
    """
    # Colours mid-transition (a colour scheme just switched, a hover fading) are no colours the
    # reader sees for long: contrast is judged once the finite transitions and animations end. Two
    # frames first, so that a media change the browser has not yet rendered has started its own.
    page.evaluate(
        "async () => {"
        " await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));"
        " await Promise.all(document.getAnimations()"
        " .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))"
        " .map((a) => a.finished.catch(() => null))); }"
    )
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]],
        }
        for violation in result
    ]


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
