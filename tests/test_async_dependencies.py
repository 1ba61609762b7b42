"""Every route and every dependency the app's routes use runs on the event loop: FastAPI runs a
plain ``def`` in its thread pool, a hop per request per function (the webhook profile showed
one sync dependency at 12 % of a request) and a pool of 40 threads that a burst can exhaust."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.app import create_app
from ignacio_agents.settings import Settings
from tests.conftest import test_channels as channels_for


def _sync_calls(dependant: Dependant, where: str) -> list[str]:
    found = []
    call: Any = dependant.call
    if call is not None:
        target = call if inspect.isfunction(call) or inspect.ismethod(call) else call.__call__
        if not inspect.iscoroutinefunction(target):
            found.append(f"{where}: {getattr(call, '__qualname__', call)}")
    for sub in dependant.dependencies:
        found += _sync_calls(sub, where)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's routes, through included routers (FastAPI keeps them by reference)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def test_no_route_or_dependency_runs_in_the_thread_pool(settings: Settings) -> None:
    app = create_app(settings, channels=channels_for(settings))
    routes = _api_routes(app.routes)
    assert len(routes) > 50  # the channels' routes (the webhook) are included
    assert any("webhook" in r.path for r in routes)
    sync = [call for r in routes for call in _sync_calls(r.dependant, f"{r.methods} {r.path}")]
    assert sync == []
