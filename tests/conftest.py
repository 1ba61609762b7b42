"""Test fixtures: one embedded PostgreSQL per run, a migrated template per xdist worker, and a
fresh database cloned from it for every test. The app under test is the real app."""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic_ai import models

from ignacio_agents.db import conninfo_for_database, start_embedded_server
from ignacio_agents.migrations import migrate
from ignacio_agents.settings import Settings, load_settings

models.ALLOW_MODEL_REQUESTS = False
warnings.filterwarnings("ignore", module="platformdirs")

ROOT = Path(__file__).resolve().parents[1]
PGDATA = ROOT / ".pytest-pgdata"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_server_uri() -> str:
    server = start_embedded_server(PGDATA)
    return server.get_uri()


@pytest.fixture(scope="session")
def template_db(pg_server_uri: str) -> Iterator[str]:
    # Named by process so concurrent pytest runs on one machine never race on a template.
    name = f"tmpl_{_worker()}_{os.getpid()}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    asyncio.run(migrate(conninfo_for_database(pg_server_uri, name)))
    yield name
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def conninfo(pg_server_uri: str, template_db: str) -> Iterator[str]:
    name = f"t_{_worker()}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_uri, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template_db}"')
    try:
        yield conninfo_for_database(pg_server_uri, name)
    finally:
        with psycopg.connect(pg_server_uri, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def make_settings(conninfo: str, tmp_path: Path) -> Callable[..., Settings]:
    """Development settings on this test's database and data dir; override any field."""

    def factory(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "database_url": conninfo,
            "data_dir": tmp_path / "data",
            "ignacio_env": "development",
            "run_worker_in_process": False,
            "job_poll_interval_seconds": 0.1,
            "openai_api_key": None,
            "pydantic_ai_model": "test",
            "trace_sample_rate": 1.0,  # a test that reads spans sees every one
            # The "¿Te ha servido?" prompt follows a random share of answers (by their id):
            # off, so reply counts are exact; the feedback tests turn it on.
            "feedback_prompt_percent": 0,
            # The consent notice is one more WhatsApp message on a participant's first
            # contact: off, so the other tests count only what they are about; the consent
            # tests (tests/test_consent.py) turn it on.
            "consent_notice_enabled": False,
        }
        base.update(overrides)
        return load_settings(**base)

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="module")
def graph_server() -> Iterator[Any]:
    """A fake WhatsApp Graph API on loopback, shared by a test module."""
    from tests.fakes.graph import FakeGraphServer

    with FakeGraphServer() as server:
        yield server


@pytest.fixture
def graph(graph_server: Any) -> Any:
    """The module's fake Graph API, with requests, failures and media forgotten."""
    graph_server.reset()
    return graph_server


class AppClient(httpx.AsyncClient):
    """An HTTP client bound to a running app, with its runtime at hand for assertions."""

    app: Any

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@pytest.fixture
async def make_client(conninfo: str) -> AsyncIterator[Callable[..., Any]]:
    """Start the real app (lifespan included) for given settings; closed after the test."""
    from contextlib import AsyncExitStack

    from api.app import create_app

    stack = AsyncExitStack()

    async def factory(settings: Settings, *, whatsapp: dict[str, Any] | None = None,
                      **kwargs: Any) -> AppClient:
        if "channels" not in kwargs:
            kwargs["channels"] = test_channels(settings, whatsapp)
        app = create_app(settings, **kwargs)
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = AppClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 51000)),
            base_url="http://testserver",
        )
        client.app = app
        await stack.enter_async_context(client)
        return client

    yield factory
    await stack.aclose()


def test_channels(settings: Settings, whatsapp: dict[str, Any] | None = None) -> list[Any]:
    """The installed channels, with WhatsApp configured by ``whatsapp`` (its settings' field
    names, e.g. ``app_secret``) and never by the environment: no test sends to Meta."""
    from channels.web.channel import WebChannel
    from channels.whatsapp.channel import WhatsAppChannel
    from channels.whatsapp.settings import WhatsAppSettings
    from ignacio_agents.settings import load_channel_settings

    values: dict[str, Any] = {"access_token": None, "phone_number_id": None, **(whatsapp or {})}
    return [WebChannel(), WhatsAppChannel(load_channel_settings(WhatsAppSettings, settings,
                                                                **values))]


@pytest.fixture
async def client(make_client: Callable[..., Any], settings: Settings) -> AppClient:
    return await make_client(settings)


@pytest.fixture
def make_user(client: AppClient) -> Callable[..., Any]:
    """Create a user straight in the store (admins normally do this through the API)."""
    counter = iter(range(10_000))

    async def factory(name: str = "Ana", *, is_admin: bool = False, phone: str | None = None,
                      is_active: bool = True) -> Any:
        phone = phone or f"+3461{next(counter):07d}"
        return await client.runtime.store.users.create(
            phone, name, is_admin=is_admin, is_active=is_active
        )

    return factory


@pytest.fixture
def auth_headers(client: AppClient) -> Callable[..., Any]:
    """A signed-in session for a user, as the Authorization header."""
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    async def factory(user: Any) -> dict[str, str]:
        rt = client.runtime
        session = await rt.store.sessions.create(user.id, new_token(), timedelta(days=1))
        token = issue_access_token(rt.settings, user.id, session.id, user.is_admin)
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Counts the psycopg statements and explicit transactions run inside
    ``with statements.counting():`` (``tests/statements.py``)."""
    from tests.statements import Statements

    return Statements(monkeypatch)
