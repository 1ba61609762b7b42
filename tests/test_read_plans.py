"""Every API read query uses an index on messages and conversations: each is captured as the
store runs it and ``EXPLAIN``-ed (with its parameters) on a database seeded big enough that
the planner's choice means something (2,000 conversations, 32,000 messages, one participant
with a 2,000-message conversation), after ``ANALYZE``; a ``Seq Scan`` over either table fails.

No planner setting is forced here: a sequential scan would be the planner's own choice on
these statistics, the mistake this test is for. (The 1.1 M-message figures are
``bench.search`` and ``bench.api_reads``; on a small table a sequential scan can be right, which
is why the seed is not tiny.)
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from ignacio_agents.crypto import new_token
from ignacio_agents.store.messages import NewMessage

WATCHED = {"messages", "conversations"}


class Recording:
    """A real connection that remembers every statement run on it (and runs it)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, sql: str, params: Any = None) -> Any:
        self.statements.append((sql, params))
        return await self._conn.execute(sql, params)


def _seq_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in WATCHED:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


@pytest.fixture
async def seeded(client: Any, make_user: Any) -> dict[str, Any]:
    store = client.runtime.store
    db = client.runtime.db
    users = [await make_user(f"P{i}") for i in range(50)]
    heavy = users[0]
    await db.execute(
        "insert into conversations (user_id, channel, title, created_at, updated_at)"
        " select u.id, 'web', 'Conversación ' || g, now() - g * interval '1 minute',"
        " now() - g * interval '1 minute' from users u cross join generate_series(1, 40) g")
    await db.execute(
        "insert into messages (conversation_id, user_id, is_from_user, content, created_at)"
        " select c.id, c.user_id, g %% 2 = 0, case when g %% 3 = 0 then 'precio del mercado local'"
        " when c.title = 'Conversación 7' and g = 5 then 'una subvención' else 'plan de ventas'"
        " end, c.created_at + g * interval '1 second'"
        " from conversations c cross join generate_series(1, 16) g")
    big = await store.conversations.create(heavy.id, "web", "Larga")
    await db.execute(
        "insert into messages (conversation_id, user_id, is_from_user, content, created_at)"
        " select %s, %s, g %% 2 = 0, case when g %% 3 = 0 then 'el mercado' else 'otra cosa' end,"
        " now() - (3000 - g) * interval '1 second' from generate_series(1, 2000) g",
        big.id, heavy.id)
    await store.messages.add(NewMessage(conversation_id=big.id, user_id=heavy.id,
                                        is_from_user=True, content="¿y la subvención?"))
    admin = await make_user("Ada", is_admin=True)
    session = await store.sessions.create(heavy.id, new_token(), timedelta(days=1))
    async with db.connection() as conn:
        await conn.execute("analyze")
    return {"heavy": heavy, "big": big, "admin": admin, "session": session}


async def _reads(store: Any, seeded: dict[str, Any], conn: Recording) -> None:
    """What the API's read routes run: session check, lists, a message page, searches."""
    heavy, big = seeded["heavy"], seeded["big"]
    assert await store.users.signed_in(seeded["session"].id, heavy.id, conn=conn) is not None
    conversations = await store.conversations.list_for_user(heavy.id, limit=50, conn=conn)
    assert conversations.items
    page = await store.messages.page(big.id, owner_id=heavy.id, limit=50, conn=conn)
    assert page.next_cursor is not None
    await store.messages.page(big.id, owner_id=heavy.id, limit=50, cursor=page.next_cursor,
                              conn=conn)
    await store.conversations.get(big.id, user_id=heavy.id, conn=conn)
    for word in ("mercado", "subvención", "zafiro"):
        found = await store.conversations.search(q=word, limit=50, conn=conn)
        await store.messages.best_matches([c.id for c in found.items], word, conn=conn)
        mine = await store.conversations.search(user_id=heavy.id, q=word, limit=20, conn=conn)
        await store.messages.best_matches([c.id for c in mine.items], word,
                                          as_participant=True, conn=conn)
        await store.messages.search_history(heavy.id, word, limit=8, conn=conn)
    await store.conversations.search(limit=50, conn=conn)  # the admin list, no search


async def test_no_api_read_scans_messages_or_conversations(client: Any,
                                                           seeded: dict[str, Any]) -> None:
    store = client.runtime.store
    async with client.runtime.db.connection() as raw:
        recording = Recording(raw)
        await _reads(store, seeded, recording)
        reads = [(sql, params) for sql, params in recording.statements
                 if sql.lstrip().lower().startswith(("select", "with"))]
        assert len(reads) >= 15
        scans = {}
        for sql, params in reads:
            cur = await raw.execute(f"explain (format json) {sql}", params)
            row = await cur.fetchone()
            plan = next(iter(row.values()))
            plan = json.loads(plan) if isinstance(plan, str) else plan
            if found := _seq_scans(plan[0]["Plan"]):
                scans[sql[:160]] = found
    assert scans == {}
