"""RFC 9457 problem details: every error the admin API answers is ``application/problem+json``.

Services raise their own small exceptions (no HTTP in them); this module maps each to a status
and renders one shape: ``type``, ``title``, ``status``, ``detail``, ``instance`` plus a stable
``code`` and, for validation errors, ``errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from admin import domains, links, links_list
from admin.targets import TargetRejected

logger = logging.getLogger("hop.admin.problems")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:hop:problem:"
# JSON needs nothing from a browser: no scripts, no frames, no forms, no embedding elsewhere.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# On every admin response (admin/app.py adds them); problems carry them themselves, because a 500
# is rendered outside the app's middleware.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", API_CSP),
)


class ProblemDetails(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[dict[str, Any]] | None = None


class Problem(Exception):
    """An error the API answers as it is: status, stable code, human detail, optional headers."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.errors = errors

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r})"

    @classmethod
    def unauthorized(cls, detail: str = "authentication is required", code: str = "unauthorized") -> Problem:
        return cls(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="hop"'})

    @classmethod
    def forbidden(cls, detail: str, code: str = "forbidden") -> Problem:
        return cls(403, code, detail)

    @classmethod
    def not_found(cls, detail: str, code: str = "not_found") -> Problem:
        return cls(404, code, detail)

    @classmethod
    def conflict(cls, detail: str, code: str) -> Problem:
        return cls(409, code, detail)

    @classmethod
    def too_many(cls, detail: str, *, retry_after: int) -> Problem:
        return cls(429, "too_many_requests", detail, headers={"Retry-After": str(max(1, retry_after))})


# Service exceptions (which know nothing of HTTP) and the status each one answers with.
SERVICE_STATUS: dict[type[Exception], int] = {
    links.LinkNotFound: 404,
    links.CodeTaken: 409,
    links.CodeReserved: 422,
    links_list.InvalidCursor: 422,
    domains.InvalidDomain: 422,
    domains.UnknownDomain: 422,
    domains.DomainNotFound: 404,
    domains.DomainExists: 409,
    domains.DefaultDomain: 409,
    domains.DomainInUse: 409,
}


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    body = ProblemDetails(
        type=f"{TYPE_PREFIX}{problem.code}",
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=request.url.path if request is not None else None,
        code=problem.code,
        errors=problem.errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=problem.status,
        headers={**dict(SECURITY_HEADERS), "Cache-Control": "no-store", **problem.headers},
        media_type=PROBLEM_MEDIA_TYPE,
    )


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    # Never echo "input" (it may be a password) nor "ctx" (it may hold objects JSON cannot carry).
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        for error in errors
    ]


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
    return problem_response(Problem(422, "validation_failed", detail, errors=errors), request)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(Problem(exc.status_code, code, detail, headers=exc.headers), request)


async def _target(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TargetRejected)
    # A rule's, a variant's or a domain redirect's target names its own field.
    field = list(getattr(exc, "loc", ("target_url",)))
    errors = [{"loc": ["body", *field], "msg": str(exc), "type": exc.reason}]
    return problem_response(Problem(422, exc.reason, str(exc), title="Target URL rejected", errors=errors), request)


async def _service(request: Request, exc: Exception) -> JSONResponse:
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(exc, cls)), 400)
    code = getattr(exc, "error_code", "bad_request")
    loc = getattr(exc, "loc", None)
    # A service error about one field of the request names it, as a validation error would.
    errors = [{"loc": list(loc), "msg": str(exc), "type": code}] if loc else None
    return problem_response(Problem(status, code, str(exc), errors=errors), request)


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # The fields that reach Postgres are validated; this is the net under them.
    logger.warning("text Postgres cannot store reached %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        Problem(422, "invalid_characters", "the request contains characters that cannot be stored"), request
    )


# Postgres cannot be reached, is restarting, or has no connection left: the same request may
# succeed shortly, so it is a 503 with Retry-After, not a 500. OSError covers refused and reset
# connections, DNS failures and TimeoutError (asyncpg's connect and command timeouts).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    OSError,
)
RETRY_AFTER_S = 5


def database_unavailable() -> Problem:
    """The 503 answered while Postgres is out of reach."""
    return Problem(
        503,
        "database_unavailable",
        "the database is unavailable; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("postgres unavailable on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return problem_response(database_unavailable(), request)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(Problem(500, "internal_error", "an unexpected error occurred"), request)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(TargetRejected, _target)
    app.add_exception_handler(links.LinkError, _service)
    app.add_exception_handler(domains.DomainError, _service)
    app.add_exception_handler(asyncpg.CharacterNotInRepertoireError, _unstorable)
    app.add_exception_handler(asyncpg.UntranslatableCharacterError, _unstorable)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem bodies for ``statuses``."""
    return {
        status: {
            "model": ProblemDetails,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }
