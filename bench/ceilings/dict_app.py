"""Ceiling (a): a Starlette route answering from a Python dict, no I/O.

Each code maps to a prebuilt ASGI response with the edge's own headers, so this is the fastest a
Starlette route on these Granian options can redirect: the edge's ratio to it is then exactly
what its cache, click tracking and flushing cost.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LINKS_FILE_ENV = "BENCH_LINKS_FILE"  # "code<TAB>target" per line, written by bench/run.py
_EMPTY_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}


class Prebuilt:
    __slots__ = ("body", "start")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
        self.start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        self.body: Message = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self.start)
        await send(self.body)


def redirect_for(target: str) -> Prebuilt:
    return Prebuilt(
        302,
        [
            (b"location", target.encode("latin-1")),
            (b"cache-control", b"private, no-store"),
            (b"x-robots-tag", b"noindex, nofollow"),
            (b"content-length", b"0"),
        ],
    )


NOT_FOUND = Prebuilt(404, [(b"content-type", b"text/plain"), (b"content-length", b"10")], b"not found\n")


def load_links(path: Path) -> dict[str, Prebuilt]:
    links = {}
    for line in path.read_text().splitlines():
        code, target = line.split("\t", 1)
        links[code] = redirect_for(target)
    return links


def app_factory() -> Starlette:
    links = load_links(Path(os.environ[LINKS_FILE_ENV]))

    async def redirect(request: Request) -> ASGIApp:
        return links.get(request.path_params["code"], NOT_FOUND)

    print(f"ceiling worker {os.getpid()} ready", flush=True)
    return Starlette(routes=[Route("/{code}", redirect, methods=["GET", "HEAD"])])
