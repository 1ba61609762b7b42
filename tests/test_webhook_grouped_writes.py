"""Concurrent deliveries stored together (``channels.whatsapp.writes``): deliveries that arrive
while a statement is in flight are stored by the next one, one commit for all, and each is
still its own: its ids, its jobs, its refusal (real app, real Postgres)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from channels.whatsapp.channel import NAME, whatsapp_of
from channels.whatsapp.inbound import ANSWER_TASK
from ignacio_agents.jobs import job_row
from ignacio_agents.store.messages import SOURCE_TYPE_CHARS, NewMessage
from tests.fakes.graph import FakeGraphServer, message_item, text_item, webhook_payload
from tests.whatsapp_harness import fetch_all, post_webhook, whatsapp_settings

SENDERS = [f"346140000{i:02d}" for i in range(8)]
_ADD_MANY = "with r as materialized"


async def _app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    app = await make_client(make_settings(run_worker_in_process=False,
                                          consent_notice_enabled=False),
                            whatsapp=whatsapp_settings(graph))
    for i, wa_id in enumerate(SENDERS):
        await app.runtime.store.users.create("+" + wa_id, f"Participante {i}")
    return app


def _count_add_many(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    execute = psycopg.AsyncCursor.execute

    async def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if str(query).startswith(_ADD_MANY):
            statements.append(str(query))
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counted)
    return statements


async def _writes(app: Any, refused: int | None = None) -> list[tuple[NewMessage, Any]]:
    """One message (and its answer job) per sender, as ``_store_plain`` builds them; the
    ``refused``-th carries details the database refuses (a NUL escape in ``jsonb``)."""
    runtime = app.runtime
    out = []
    for i, wa_id in enumerate(SENDERS):
        user = await runtime.store.users.get_by_phone("+" + wa_id)
        conversation = await runtime.store.conversations.latest_or_create(user.id, NAME)
        new = NewMessage(id=uuid4(), conversation_id=conversation.id, user_id=user.id,
                         is_from_user=True, content=f"hola de {wa_id}", channel=NAME,
                         external_id=f"wamid.grouped-{wa_id}", source_type="text",
                         details={"note": "\x00"} if i == refused else None)
        out.append((new, job_row(runtime.jobs, ANSWER_TASK, lock=f"conv:{conversation.id}",
                                 queueing_lock=f"answer:{new.id}", message_id=str(new.id),
                                 to="sealed", kind="text", media=None, late=False)))
    return out


async def test_writes_that_arrive_together_are_one_statement_each_with_its_own_ids(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
    monkeypatch: pytest.MonkeyPatch,
):
    app = await _app(make_client, make_settings, graph)
    writes, messages = whatsapp_of(app.runtime).writes, app.runtime.store.messages
    pending = await _writes(app, ["text"] * len(SENDERS))
    statements = _count_add_many(monkeypatch)

    results = await asyncio.gather(*[writes.add_many(messages, [new], [job])
                                     for new, job in pending])
    monkeypatch.undo()
    assert len(statements) == 1
    assert results == [[new.id] for new, _ in pending]
    jobs = await fetch_all(app, "select args->>'message_id' as id from procrastinate_jobs"
                           " where task_name = %s", ANSWER_TASK)
    assert sorted(j["id"] for j in jobs) == sorted(str(new.id) for new, _ in pending)

    # The same writes again (Meta resending them all): stored once, queued once.
    again = await asyncio.gather(*[writes.add_many(messages, [new], [job])
                                   for new, job in pending])
    assert again == [[None]] * len(SENDERS)
    assert len(await fetch_all(app, "select id from procrastinate_jobs where task_name = %s",
                               ANSWER_TASK)) == len(SENDERS)


async def test_a_refused_write_fails_alone_and_its_neighbours_are_stored(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
    monkeypatch: pytest.MonkeyPatch,
):
    app = await _app(make_client, make_settings, graph)
    writes, messages = whatsapp_of(app.runtime).writes, app.runtime.store.messages
    # The database refuses the third one.
    pending = await _writes(app, refused=2)
    statements = _count_add_many(monkeypatch)

    results = await asyncio.gather(*[writes.add_many(messages, [new], [job])
                                     for new, job in pending], return_exceptions=True)
    monkeypatch.undo()
    assert isinstance(results[2], psycopg.DataError)
    assert [r for i, r in enumerate(results) if i != 2] == [
        [new.id] for i, (new, _) in enumerate(pending) if i != 2]
    assert len(statements) == 1 + len(SENDERS)  # together, refused, then one by one
    stored = await fetch_all(app, "select id from messages where is_from_user")
    assert len(stored) == len(SENDERS) - 1


async def test_concurrent_deliveries_are_each_stored_and_answered_once(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await _app(make_client, make_settings, graph)
    deliveries = [webhook_payload([text_item(f"pregunta {i}", wa_id=wa_id,
                                             wamid=f"wamid.concurrent-{i}")])
                  for i, wa_id in enumerate(SENDERS)]
    # One more from the first sender, of a type Meta has not named yet and longer than its
    # column: stored (the name cut to fit) and queued like any unsupported message.
    deliveries.append(webhook_payload([message_item("t" * 60, {}, wa_id=SENDERS[0],
                                                    wamid="wamid.concurrent-unknown")]))
    for _ in range(2):  # the second time, Meta resends all of them: nothing new
        responses = await asyncio.gather(*[post_webhook(app, d) for d in deliveries])
        assert [r.status_code for r in responses] == [200] * len(deliveries)
        rows = await fetch_all(app, "select m.id, m.content, m.source_type, m.user_id,"
                               " c.user_id as owner from messages m join conversations c"
                               " on c.id = m.conversation_id where m.is_from_user")
        assert sorted(r["content"] for r in rows if r["content"]) == sorted(
            f"pregunta {i}" for i in range(len(SENDERS)))
        assert [r["source_type"] for r in rows if not r["content"]] == ["t" * SOURCE_TYPE_CHARS]
        assert all(r["user_id"] == r["owner"] for r in rows)
        jobs = await fetch_all(app, "select args->>'message_id' as id from procrastinate_jobs"
                               " where task_name = %s", ANSWER_TASK)
        assert sorted(j["id"] for j in jobs) == sorted(str(r["id"]) for r in rows)
