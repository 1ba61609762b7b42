"""One error shape for every 4xx/5xx: ``{"error": {"code", "message"}}``.

Routers raise the core's ``IgnacioError`` kinds (or let them rise from the core); this module
is the only place that turns them, and FastAPI's own errors, into HTTP responses.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ignacio_agents.errors import (
    Conflict,
    Forbidden,
    IgnacioError,
    InvalidInput,
    MalformedRequest,
    NotFound,
    RateLimited,
    TooLarge,
    TooSlow,
    Unauthorized,
    Unavailable,
    Unsupported,
)

log = logging.getLogger(__name__)

_DEFAULT_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited",
}


# The one place a kind of failure becomes an HTTP status. The most specific class wins (an
# ``EmptyFile`` is both ``InvalidInput`` and ``Unsupported``, and is a 422).
STATUS: dict[type, int] = {
    MalformedRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    TooSlow: 408,
    Unsupported: 415,
    InvalidInput: 422,
    RateLimited: 429,
    Unavailable: 503,
}


def status_for(exc: IgnacioError) -> int:
    """The status of the nearest kind in the class's MRO; any other ``IgnacioError`` is ours: 500."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _headers(exc: IgnacioError) -> dict[str, str] | None:
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    return None


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IgnacioError)
    async def _ignacio_error(_: Request, exc: IgnacioError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            return _internal(exc)
        return JSONResponse(error_body(exc.code, exc.message), status, headers=_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _DEFAULT_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(error_body(code, message), exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Field paths and messages only: never echo the submitted values (phone numbers, codes).
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid"))
        return JSONResponse(error_body("invalid_request", "; ".join(parts) or "invalid request"), 422)

    @app.exception_handler(psycopg.OperationalError)
    async def _database_unavailable(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        # Postgres unreachable, or no pooled connection within DB_POOL_TIMEOUT_SECONDS
        # (PoolTimeout is an OperationalError): a fast, retryable 503, not a 500.
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            error_body("database_unavailable",
                       "The database is not reachable right now. Try again shortly."),
            503, headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _internal(exc)


def _internal(exc: Exception) -> JSONResponse:
    """A fault of ours (or of a service we depend on): logged with its traceback, and shown to
    the client without details, which may name keys, paths or SQL."""
    if isinstance(exc, Unavailable):
        log.warning("unavailable: %s: %s", type(exc).__name__, exc, exc_info=True)
        return JSONResponse(error_body(exc.code, exc.message), 503)
    log.exception("unhandled error: %s", type(exc).__name__)
    return JSONResponse(error_body("internal_error", "Something went wrong on our side."), 500)
