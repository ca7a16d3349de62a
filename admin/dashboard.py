"""The web dashboard (dashboard/, a React single-page app built by Vite) served by the admin at ``/``.

- ``/assets/*``: Vite's content-hashed files, cached for a year as immutable: a new build has new names.
- ``index.html`` for ``/`` and for every GET a browser navigates to (``Accept: text/html``) that is no
  API, docs or health path: the app's client routes (``/links/abc``, ``/reset-password``) all load it, and
  it routes itself. ``no-cache``: each visit revalidates it, so a new build's asset names arrive at once.
  It carries ``DASHBOARD_CSP``: the app's own scripts, styles and API only, nothing inline.
- The build's other top-level files (Vite copies ``public/`` there: ``favicon.svg``) are ``no-cache``
  and keep the API's CSP, which allows nothing (an SVG runs no script).
- Without a built dashboard, the pages answer how to build one.

Files come from the dashboard directory only (Starlette's StaticFiles: no ``..``, no symlink out, no
directory listing, HEAD and conditional requests). Anything else falls through to the router's 404,
so an unknown ``/api/...`` path stays a problem+json 404.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
ASSETS_URL = "/assets"
# Paths that never load the dashboard: the API, the docs, the health probes, the assets.
NOT_PAGES = ("/api", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", ASSETS_URL)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hop admin: the dashboard is not built</title>
</head>
<body>
<main>
<h1>The dashboard is not built</h1>
<p>This Hop admin serves its web dashboard from <code>dashboard/dist</code> (or the directory
<code>HOP_ADMIN_DASHBOARD_DIR</code> names), and there is none. Build it in the repository
(it needs Node.js 20 and npm), then restart the admin (<code>hop dev</code> or <code>hop admin</code>):</p>
<pre><code>make dashboard</code></pre>
<p>The API works without it: {docs}</p>
</main>
</body>
</html>
"""
DOCS_LINKS = (
    'its documentation is at <a href="/docs">/docs</a> (Swagger UI) and <a href="/redoc">/redoc</a>, '
    'its OpenAPI document at <a href="/openapi.json">/openapi.json</a>.'
)
OPENAPI_LINK = 'its OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.'


def install_dashboard(app: FastAPI, directory: Path | None, *, docs: bool) -> None:
    """Serve the dashboard built in ``directory`` (None: the page saying how to build it)."""
    if directory is not None:
        app.mount(ASSETS_URL, HashedAssets(directory=directory / "assets", check_dir=False), name="dashboard-assets")
    # The router's default runs when no route matches: pages there leave every API answer as it was
    # (an unknown API path is a 404, a known one with the wrong method a 405).
    app.router.default = DashboardPages(app.router.default, directory, docs=docs)


class HashedAssets(StaticFiles):
    """Vite's hashed build output: a name never changes its content, so browsers keep it for a year."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    async def check_config(self) -> None:
        """A build without assets/ (or one being rebuilt) answers 404s, not errors."""


class DashboardPages:
    """The router's default app: index.html (or the not-built page) for browser navigations, else 404."""

    def __init__(self, not_found: ASGIApp, directory: Path | None, *, docs: bool) -> None:
        self.not_found = not_found
        self.files = None if directory is None else StaticFiles(directory=directory, check_dir=False)
        self.not_built = NOT_BUILT_PAGE.replace("{docs}", DOCS_LINKS if docs else OPENAPI_LINK)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.response(scope) if is_page_request(scope) else None
        if response is None:
            await self.not_found(scope, receive, send)
            return
        await response(scope, receive, send)

    async def response(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        top_level_file = path.count("/") == 1 and path not in ("/", "/index.html")
        if top_level_file and (public := await self.file(path.removeprefix("/"), scope)) is not None:
            return public
        if path != "/" and not accepts_html(Headers(scope=scope).get("accept", "")):
            return None
        index = await self.file("index.html", scope)
        if index is None:
            return self.not_built_page()
        index.headers["Content-Security-Policy"] = DASHBOARD_CSP
        return index

    async def file(self, name: str, scope: Scope) -> Response | None:
        """A file at the top of the dashboard directory (with HEAD and 304s), revalidated on each use."""
        if self.files is None:
            return None
        try:
            response = await self.files.get_response(name, scope)
        except HTTPException:
            return None
        response.headers["Cache-Control"] = REVALIDATE
        return response

    def not_built_page(self) -> Response:
        headers = {"Cache-Control": REVALIDATE, "Content-Security-Policy": DASHBOARD_CSP}
        return HTMLResponse(self.not_built, headers=headers)


def is_page_request(scope: Scope) -> bool:
    """A GET or HEAD outside the API, docs, health and asset paths."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope["path"]
    return not any(path == prefix or path.startswith(f"{prefix}/") for prefix in NOT_PAGES)


def accepts_html(accept: str) -> bool:
    """Whether an Accept header names text/html (as browsers do when they navigate), with q > 0."""
    for media_range in accept.split(","):
        media_type, *parameters = (part.strip().lower() for part in media_range.split(";"))
        if media_type == "text/html":
            return all(not _is_zero_quality(parameter) for parameter in parameters)
    return False


def _is_zero_quality(parameter: str) -> bool:
    name, _, value = parameter.partition("=")
    if name.strip() != "q":
        return False
    try:
        return float(value) == 0
    except ValueError:
        return True  # a quality nobody can read is no acceptance
