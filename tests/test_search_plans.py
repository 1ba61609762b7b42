"""Admin search has two plans (rare word: start from the full-text index; common word: walk
conversations newest first) chosen by how many messages match; both find the same
conversations, in the same order, page by page."""

from __future__ import annotations

from typing import Any

import pytest

from ignacio_agents.store import conversations as conversation_store
from ignacio_agents.store.messages import NewMessage


async def _world(client: Any, make_user: Any) -> dict[str, Any]:
    store = client.runtime.store
    made: dict[str, Any] = {}
    for i, words in enumerate(["precio del mercado", "plan de mercado", "nada que ver",
                               "mercado local", "sin coincidencia"]):
        user = await make_user(f"P{i}")
        conversation = await store.conversations.create(user.id)
        await store.messages.add(NewMessage(conversation_id=conversation.id, user_id=user.id,
                                            is_from_user=True, content=words))
        made[words] = conversation.id
    return made


@pytest.mark.parametrize("cap", [conversation_store.RARE_MATCH_CAP, 1, 0],
                         ids=["index-first", "newest-first", "newest-first-at-zero"])
async def test_both_plans_find_the_same_conversations(client: Any, make_user: Any,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      cap: int) -> None:
    made = await _world(client, make_user)
    monkeypatch.setattr(conversation_store, "RARE_MATCH_CAP", cap)
    search = client.runtime.store.conversations.search
    first = await search(q="mercado", limit=2)
    rest = await search(q="mercado", limit=2, cursor=first.next_cursor)
    found = [c.id for c in first.items + rest.items]
    expected = [made["mercado local"], made["plan de mercado"], made["precio del mercado"]]
    assert found == expected
    assert rest.next_cursor is None
    assert (await search(q="zafiro")).items == []


async def test_the_probe_says_which_plan(client: Any, make_user: Any) -> None:
    await _world(client, make_user)
    db = client.runtime.db
    rare = await db.fetch_value("select ignacio_conversations_matching('mercado', 3)")
    common = await db.fetch_value("select ignacio_conversations_matching('mercado', 2)")
    none = await db.fetch_value("select ignacio_conversations_matching('zafiro', 3)")
    assert len(rare) == 3 and common is None and none == []
