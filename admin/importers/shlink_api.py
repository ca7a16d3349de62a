"""Every short URL of a Shlink instance, read through its REST API, for `hop import shlink-api`.

``GET {base}/rest/v3/short-urls?page=N&itemsPerPage=...`` with the ``X-Api-Key`` header, page after
page while ``pagination.currentPage < pagination.pagesCount`` (as Shlink's own importer pages).
Oldest first (``orderBy=dateCreated-ASC``): a link created in Shlink during the import lands on
the last page instead of pushing the others from one page onto the next, where one would be read
twice and another missed.

Command line only: the operator names the instance. An API endpoint that did this for any user
would make the admin fetch addresses of their choosing (SSRF). Redirects are refused, not followed:
they would carry the API key to wherever the answer points.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPResponse
from typing import Any

import orjson

from admin.importers.reading import Limits
from admin.importers.rows import Parsed, SourceInvalid, SourceTooLarge
from admin.importers.shlink import from_short_urls, page_items

PAGE_SIZE = 100
TIMEOUT_S = 30.0
# One page of 100 short URLs is some 100 KB; anything near this is not Shlink.
MAX_PAGE_BYTES = 16 * 1024 * 1024


class ShlinkApiError(SourceInvalid):
    """The instance could not be read: unreachable, refused the key, or answered something else."""

    error_code = "shlink_api_error"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise ShlinkApiError(
            f"{req.full_url} answered {code}, a redirect to {newurl}; give the instance's final URL "
            "(redirects are not followed: they would carry the API key elsewhere)"
        )


def _open(request: urllib.request.Request, timeout: float) -> HTTPResponse:
    response: HTTPResponse = urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout)
    return response


def base_url(url: str) -> str:
    """The instance's address without a trailing slash. Raises ShlinkApiError unless http(s) with a host."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ShlinkApiError(f"the Shlink URL must be http:// or https:// with a host, not {url!r}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def fetch_short_urls(url: str, *, api_key: str, limits: Limits) -> Parsed:
    """Every short URL of the instance at ``url``, as parsed rows (row n: the n-th, oldest first).

    Raises:
        ShlinkApiError: unreachable, an error answer (its problem detail quoted), or not Shlink's JSON.
        SourceTooLarge: more than ``limits.max_rows`` short URLs.
    """
    base = base_url(url)
    items: list[Any] = []
    page = 1
    while True:
        answer = _get_page(base, api_key, page)
        items += page_items(answer)
        if len(items) > limits.max_rows:
            raise SourceTooLarge(f"the instance has more than {limits.max_rows:,} short URLs")
        if not _more_pages(answer, page):
            return from_short_urls(items, limits)
        page += 1


def _more_pages(answer: dict[str, Any], page: int) -> bool:
    pagination = answer["shortUrls"].get("pagination")
    if not isinstance(pagination, dict):
        return False
    current, count = pagination.get("currentPage"), pagination.get("pagesCount")
    if not isinstance(current, int) or not isinstance(count, int):
        return False
    # An answer for another page than the one asked for would loop forever or skip pages.
    if current != page:
        raise ShlinkApiError(f"asked for page {page}, the instance answered page {current}")
    return current < count and bool(answer["shortUrls"]["data"])


def _get_page(base: str, api_key: str, page: int) -> dict[str, Any]:
    query = urllib.parse.urlencode({"page": page, "itemsPerPage": PAGE_SIZE, "orderBy": "dateCreated-ASC"})
    request = urllib.request.Request(
        f"{base}/rest/v3/short-urls?{query}",
        headers={"X-Api-Key": api_key, "Accept": "application/json", "User-Agent": "hop-import"},
    )
    try:
        with _open(request, TIMEOUT_S) as response:
            body = response.read(MAX_PAGE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise ShlinkApiError(f"{base} answered {error.code}: {_problem_detail(error)}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ShlinkApiError(f"{base} cannot be reached: {getattr(error, 'reason', error)}") from None
    if len(body) > MAX_PAGE_BYTES:
        raise ShlinkApiError(f"page {page} of {base} is over {MAX_PAGE_BYTES:,} bytes; this is not Shlink")
    try:
        # orjson, not json: it refuses what Postgres could not store (lone surrogates such as "\ud800").
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ShlinkApiError(f"page {page} of {base} is not JSON (UTF-8); is this a Shlink instance?") from None
    if not isinstance(answer, dict):
        raise ShlinkApiError(f"page {page} of {base} is not a Shlink answer")
    page_items(answer)  # raises SourceInvalid when there is no shortUrls.data
    return answer


def _problem_detail(error: urllib.error.HTTPError) -> str:
    """Shlink's problem+json detail (e.g. "Provided API key does not exist or is invalid."), else the reason."""
    try:
        problem = orjson.loads(error.read(64 * 1024))
    except (orjson.JSONDecodeError, OSError):
        problem = None
    detail = problem.get("detail") if isinstance(problem, dict) else None
    return str(detail)[:300] if detail else str(error.reason)
