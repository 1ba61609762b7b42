"""Live changes: published with the write that makes them (at commit), heard through
PostgreSQL by every API process, and streamed to the tabs allowed to see them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
import uvicorn

from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.notify import CHANNEL, EventHub, LiveEvent, publish
from ignacio_agents.store.messages import NewMessage

# --- publishing ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def listening(conninfo: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"listen {CHANNEL}")
        yield conn


async def heard(conn: psycopg.AsyncConnection[Any], timeout: float = 0.5) -> list[dict[str, Any]]:
    """What arrived on the listener until it was quiet for ``timeout`` seconds."""
    out = []
    async for n in conn.notifies(timeout=timeout):
        out.append(json.loads(n.payload))
    return out


async def test_an_event_is_sent_when_its_transaction_commits_and_never_on_rollback(client):
    db = client.runtime.db
    user = uuid4()
    async with listening(db.conninfo) as ear:
        with contextlib.suppress(RuntimeError):
            async with db.transaction() as tx:
                await publish(tx, "conversation.updated", {"user_id": user})
                raise RuntimeError("roll back")
        assert await heard(ear) == []
        async with db.transaction() as tx:
            await publish(tx, "conversation.updated", {"user_id": user, "conversation_id": user})
            assert await heard(ear, 0.2) == []  # not before the commit
        [event] = await heard(ear, 3.0)  # a loaded machine may take a while to deliver it
    assert event["kind"] == "conversation.updated" and event["user_id"] == str(user)


async def test_events_carry_ids_not_content(client):
    async with client.runtime.db.connection() as conn:
        with pytest.raises(ValueError, match="ids, not content"):
            await publish(conn, "message.updated",
                          {"user_id": uuid4(), "data": {"text": "x" * 8000}})


async def test_every_change_to_conversations_and_messages_is_announced(client, make_user):
    store = client.runtime.store
    ana = await make_user("Ana")
    async with listening(client.runtime.db.conninfo) as ear:
        conv = await store.conversations.create(ana.id, "whatsapp")
        await store.conversations.set_title_if_empty(conv.id, "Precios")
        await store.conversations.set_title_if_empty(conv.id, "Otro")  # no change: silent
        msg = await store.messages.add(NewMessage(
            conversation_id=conv.id, user_id=ana.id, is_from_user=False, content="Hola",
            channel="whatsapp", status=DeliveryStatus.pending,
        ))
        assert msg is not None
        await store.messages.set_status(msg.id, DeliveryStatus.failed, "131047")
        await store.messages.set_status(msg.id, DeliveryStatus.failed, "131047")  # silent
        await store.messages.set_feedback(msg.id, -1)
        await store.conversations.rename(conv.id, ana.id, "Precios 2")
        await store.conversations.delete(conv.id, ana.id)
        events = await heard(ear)
    assert [e["kind"] for e in events] == [
        "conversation.created", "conversation.updated", "message.created", "message.updated",
        "message.updated", "conversation.updated", "conversation.deleted",
    ]
    assert {e["user_id"] for e in events} == {str(ana.id)}
    assert events[3]["data"] == {"status": "failed", "error_code": "131047"}
    assert events[2]["message_id"] == str(msg.id)
    assert all("Hola" not in json.dumps(e) for e in events)


# --- the hub ---------------------------------------------------------------------------------


def _event(user: UUID, kind: str = "message.created") -> str:
    return LiveEvent(kind=kind, user_id=user).model_dump_json()  # type: ignore[arg-type]


async def test_the_hub_gives_users_their_own_events_and_admins_everyones(conninfo):
    hub = EventHub(conninfo)
    ana, bruno, ada = uuid4(), uuid4(), uuid4()
    async with hub.subscribe(ana, is_admin=False) as a, hub.subscribe(ada, is_admin=True) as admin:
        hub.dispatch(_event(bruno))
        hub.dispatch(_event(ana))
        hub.dispatch("not json")
        got_a = await a.next(0.1)
        assert isinstance(got_a, LiveEvent) and got_a.user_id == ana
        assert await a.next(0.05) is None
        seen = [await admin.next(0.1), await admin.next(0.1)]
        assert [s.user_id for s in seen if isinstance(s, LiveEvent)] == [bruno, ana]
    assert hub.subscriber_count == 0


async def test_a_tab_that_falls_behind_is_told_to_resync_not_buffered_forever(conninfo):
    from ignacio_agents.notify import QUEUE_SIZE

    hub = EventHub(conninfo)
    ana = uuid4()
    async with hub.subscribe(ana, is_admin=False) as sub:
        for _ in range(QUEUE_SIZE + 50):
            hub.dispatch(_event(ana))
        assert sub.queue.qsize() == 1
        assert await sub.next(0.1) == "resync"
        hub.dispatch(_event(ana))
        assert isinstance(await sub.next(0.1), LiveEvent)


async def test_the_hub_relistens_after_losing_its_connection_and_asks_for_a_resync(
        conninfo, pg_server_uri):
    hub = EventHub(conninfo, reconnect_delay=0.05)
    await hub.start()
    ana = uuid4()
    try:
        async with hub.subscribe(ana, is_admin=False) as sub:
            database = psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"]
            async with await psycopg.AsyncConnection.connect(pg_server_uri, autocommit=True) as su:
                # Only this test's database: other tests' listeners share the server.
                await su.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where datname = %s and query ilike %s and pid <> pg_backend_pid()",
                    (database, f"listen {CHANNEL}%"))
            assert await sub.next(10) == "resync"
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await publish(conn, "message.created", {"user_id": ana})
            got = await sub.next(10)
            assert isinstance(got, LiveEvent) and got.user_id == ana
    finally:
        await hub.stop()


# --- the stream, over real HTTP, two API processes on one database ---------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """``app`` (already started) on loopback: a disconnect is a real closed connection."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        app.state.events.close_streams()
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class Tab:
    """One browser tab's ``GET /events``: frames parsed as they arrive."""

    def __init__(self, response: httpx.Response):
        self.lines = response.aiter_lines()

    async def next(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        async def frame() -> tuple[str, dict[str, Any]]:
            name = ""
            async for line in self.lines:
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    return name, json.loads(line[6:])
            raise EOFError("stream ended")

        return await asyncio.wait_for(frame(), timeout)


@contextlib.asynccontextmanager
async def open_tab(base: str, headers: dict[str, str]) -> AsyncIterator[Tab]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http, http.stream(
            "GET", "/events", headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        yield Tab(resp)


async def test_a_change_made_in_one_process_reaches_tabs_on_another(
        client, make_client, settings, make_user, auth_headers):
    other = await make_client(settings)  # a second API process on the same database
    store = client.runtime.store
    ana, bruno = await make_user("Ana"), await make_user("Bruno")
    ada = await make_user("Ada", is_admin=True)
    async with serving(other.app) as base, open_tab(base, await auth_headers(ana)) as ana_tab, \
            open_tab(base, await auth_headers(bruno)) as bruno_tab, \
            open_tab(base, await auth_headers(ada)) as admin_tab:
        for tab, admin in ((ana_tab, False), (bruno_tab, False), (admin_tab, True)):
            name, data = await tab.next()
            assert name == "ready" and data["admin"] is admin
        conv = await store.conversations.create(ana.id, "whatsapp")  # written by process one
        for tab in (ana_tab, admin_tab):
            name, data = await tab.next()
            assert name == "change" and data["kind"] == "conversation.created"
            assert data["conversation_id"] == str(conv.id) and data["user_id"] == str(ana.id)
        with pytest.raises(TimeoutError):
            await bruno_tab.next(0.5)  # not Bruno's


async def test_the_stream_needs_a_signed_in_user(client):
    resp = await client.get("/events")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"]


async def test_the_stream_ends_when_the_session_ends_and_beats_while_idle(
        client, make_user, auth_headers):
    client.app.state.events_heartbeat = 0.1
    ana = await make_user("Ana")
    headers = await auth_headers(ana)
    async with serving(client.app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http, \
            http.stream("GET", "/events", headers=headers) as resp:
        lines = resp.aiter_lines()
        seen: list[str] = []
        async for line in lines:
            seen.append(line)
            if line == ": keep-alive":
                break
        await client.runtime.store.sessions.revoke_all(ana.id, "logout")
        rest = [line async for line in lines]  # the stream ends by itself
    assert seen[0] == "event: ready"
    assert not any(line.startswith("event: change") for line in rest)


async def test_a_stopping_server_ends_open_streams(client, make_user, auth_headers):
    ana = await make_user("Ana")
    async with serving(client.app) as base, open_tab(base, await auth_headers(ana)) as tab:
        assert (await tab.next())[0] == "ready"
        client.app.state.events.close_streams()
        with pytest.raises(EOFError):
            await tab.next()


async def test_a_mentors_tab_hears_their_participants_and_picks_up_new_assignments(
        client, make_user, auth_headers):
    client.app.state.events_heartbeat = 0.2  # assignments are reloaded while the tab is idle
    store = client.runtime.store
    ana, bruno = await make_user("Ana"), await make_user("Bruno")
    marta = await store.users.update((await make_user("Marta")).id, is_mentor=True)
    await store.mentoring.assign(marta.id, ana.id, assigned_by=None)

    async def heard_until_ana(tab: Tab) -> list[str]:
        """Whose conversations the tab heard of, up to a new one of Ana's (events are in
        order, so anything of Bruno's written before it would have come first)."""
        await store.conversations.create(bruno.id, "whatsapp")
        await store.conversations.create(ana.id, "whatsapp")
        owners = []
        while not owners or owners[-1] != str(ana.id):
            name, data = await tab.next()
            if name == "change":
                owners.append(data["user_id"])
        return owners

    async with serving(client.app) as base, open_tab(base, await auth_headers(marta)) as tab:
        name, data = await tab.next()
        assert name == "ready" and data["admin"] is False
        assert await heard_until_ana(tab) == [str(ana.id)]  # Bruno is not Marta's participant

        await store.mentoring.assign(marta.id, bruno.id, assigned_by=None)
        for _ in range(20):  # the stream reloads the assignments on an idle beat
            await asyncio.sleep(0.3)
            owners = await heard_until_ana(tab)
            if str(bruno.id) in owners:
                break
        assert owners == [str(bruno.id), str(ana.id)]
