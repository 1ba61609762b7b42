"""The application factory: one FastAPI app per call, services opened in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.body_limits import BodyLimitMiddleware, BodyLimits
from api.compression import Compression
from api.errors import install_error_handlers
from api.heap import serving_heap
from api.observability import (
    configure_logging,
    fastapi_telemetry,
    instrument,
    redact_server_logs,
)
from api.openapi_errors import document_error_responses
from api.security_headers import SecurityHeadersMiddleware
from api.static_assets import HashedAssets
from api.turn_stream import document_turn_stream
from api.worker_processes import WorkerProcesses
from ignacio_agents.channel import Channel
from ignacio_agents.jobs import WorkerSupervisor, worker_options
from ignacio_agents.notify import EventHub
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import Settings, load_settings

log = logging.getLogger(__name__)

# Multipart boundaries and fields around an uploaded file, above the file limit itself.
UPLOAD_ENVELOPE_BYTES = 1024 * 1024

# Paths the SPA never owns, even for a browser navigation.
_NOT_SPA = ("/docs", "/redoc", "/openapi.json", "/health", "/webhooks", "/assets")


def default_web_dist() -> Path:
    return Path(__file__).resolve().parents[1] / "frontend" / "dist"


def _routers() -> list:
    from api.routers import health

    routers = [health.router]
    # Feature routers are registered here as they land (one line each).
    from api import composition

    routers.extend(composition.all_routers())
    return routers


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes on the app's own list. FastAPI (0.165) keeps an included router as
    a branch it walks on every request: each candidate matched through scope bookkeeping, the
    chosen router's routes matched twice; on the flat list matching costs half as much (20 µs
    of ``GET /users/me``, 45 of ``GET /conversations``, more for the routers further down).
    A router's prefix, tags, responses and dependencies are already in its routes; one that
    brings anything else (start-up hooks, a lifespan, mounts) is included as FastAPI does it.
    ``app.dependency_overrides`` does not reach flat routes: nothing here overrides our own
    dependencies."""
    plain = (not router.on_startup and not router.on_shutdown
             and type(router.lifespan_context).__name__ == "_DefaultLifespan"
             and all(type(route) is APIRoute for route in router.routes))
    if plain:
        app.router.routes.extend(router.routes)
    else:
        app.include_router(router)


def _blueprints() -> list:
    from api import composition

    return composition.all_blueprints()


class SpaFallback:
    """Serve ``index.html`` to browser navigations (``Accept: text/html``) so deep links such
    as ``/admin/users`` load the app, while API calls on the same paths get JSON. Pure ASGI:
    every API request passes through untouched (``BaseHTTPMiddleware`` wrapped each one in a
    task and memory streams, a large share of a small read's CPU)."""

    def __init__(self, app: ASGIApp, index: Path):
        self.app = app
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if (not path.startswith(_NOT_SPA) and not path.endswith("/download")
                    and "text/html" in Headers(scope=scope).get("accept", "")):
                page = FileResponse(self.index, headers={"cache-control": "no-cache"})
                await page(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _drain(runtime: Any, worker: asyncio.Task[None] | None, grace: float) -> None:
    """A stop lets turns already running finish (bounded), then the worker finishes its jobs
    (procrastinate waits ``shutdown_graceful_timeout`` before aborting them)."""
    try:
        await asyncio.wait_for(runtime.engine.wait_idle(), timeout=grace)
    except TimeoutError:
        log.warning("stopping with turns still running after %.0f s", grace)
    if worker is not None:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(worker, timeout=grace + 5)


def create_app(settings: Settings | None = None, *, conninfo: str | None = None,
               run_worker: bool | None = None, worker_processes: int = 0,
               channels: Sequence[Channel] | None = None) -> FastAPI:
    """The app for ``settings``; ``channels`` default to the installed ones this deployment
    uses (``channels/installed.py``, configured from the environment). ``worker_processes``
    ``ignacio worker`` processes run beside it, owned by its lifespan (``ignacio serve``)."""
    settings = settings or load_settings()
    configure_logging(settings)
    if channels is None:
        from channels.installed import installed_channels

        channels = installed_channels(settings)
    in_process_worker = settings.run_worker_in_process if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redact_server_logs()  # after uvicorn configured its loggers
        async with open_runtime(settings, blueprints=_blueprints(), conninfo=conninfo,
                                channels=channels) as runtime:
            app.state.runtime = runtime
            app.state.events = EventHub(runtime.conninfo)  # live changes for browser tabs
            app.state.events.on_stop(lambda cid: runtime.engine.stop(cid))  # Stop sent elsewhere
            await app.state.events.start()
            worker = None
            app.state.worker = None
            children = None
            if worker_processes > 0:
                children = WorkerProcesses(worker_processes,
                                           grace_seconds=settings.shutdown_grace_seconds,
                                           nice=settings.worker_nice)
                await asyncio.to_thread(children.start)
                app.state.worker = children
            elif in_process_worker:
                app.state.worker = WorkerSupervisor(runtime.jobs, worker_options(runtime))
                worker = asyncio.create_task(app.state.worker.run(), name="job-worker")
            # Everything built so far lives as long as the app (api.heap: at 50 concurrent
            # requests full collections were a third of a small read's CPU, and its p99). Not
            # with the worker in this process: freezing cost its turns CPU.
            try:
                with serving_heap() if worker is None else nullcontext():
                    yield
            finally:
                app.state.events.close_streams()
                await _drain(runtime, worker, settings.shutdown_grace_seconds)
                if children is not None:
                    await asyncio.to_thread(children.stop)
                await app.state.events.stop()

    # The interactive docs load Swagger UI / ReDoc from a public CDN: a third-party script on
    # the origin that holds admin sessions. Production serves neither page (the schema itself,
    # /openapi.json, stays: it is what the web client is generated from); development keeps
    # them for convenience, under a CSP that allows only that CDN and only on those pages.
    docs = not settings.is_production
    app = FastAPI(
        title="Ignacio API",
        version="0.1.0",
        summary="AI advisor for people building projects, over WhatsApp and the web.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        telemetry=fastapi_telemetry(settings),
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in _routers():
        _add_routes(app, router)
    document_error_responses(app)
    document_turn_stream(app, "/conversations/{conversation_id}/messages")

    dist = settings.web_dist_dir or default_web_dist()
    index = dist / "index.html"
    if index.is_file():
        if (dist / "assets").is_dir():
            app.mount("/assets", HashedAssets(directory=dist / "assets"), name="assets")
        app.add_middleware(SpaFallback, index=index)

        @app.get("/", include_in_schema=False)
        async def spa_root() -> FileResponse:
            return FileResponse(index, headers={"cache-control": "no-cache"})

        @app.get("/{name}.{ext}", include_in_schema=False)
        async def spa_static(name: str, ext: str) -> Response:
            candidate = (dist / f"{name}.{ext}").resolve()
            if candidate.is_file() and candidate.is_relative_to(dist.resolve()):
                return FileResponse(candidate)
            return JSONResponse({"error": {"code": "not_found", "message": "not found"}}, 404)

    _add_edge_middleware(app, settings)
    instrument(app, settings)
    return app


def _add_edge_middleware(app: FastAPI, settings: Settings) -> None:
    """The outermost layers (the last added runs first): host check and security headers on
    every answer, then body ceilings, both before any routing, parsing or authentication."""
    limits = BodyLimits(
        auth=settings.max_auth_body_bytes, json=settings.max_json_body_bytes,
        webhook=settings.max_webhook_body_bytes,
        # The upload routes enforce the exact limit while streaming; this is the outer stop.
        upload=settings.max_upload_bytes + UPLOAD_ENVELOPE_BYTES,
        body_seconds=settings.request_body_seconds, upload_seconds=settings.upload_body_seconds,
    )
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    # JSON and HTML compressed on the way out (the built assets come precompressed, event
    # streams and files already compressed pass through as they are).
    app.add_middleware(Compression, minimum_size=1024, compresslevel=6,
                       exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf",
                                              "application/octet-stream"))
    app.add_middleware(SecurityHeadersMiddleware, allowed_hosts=settings.allowed_host_list,
                       hsts=settings.is_production)
