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


async def test_the_probe_says_common_only_past_the_cap(client: Any, make_user: Any) -> None:
    """The probe first looks for ``cap`` + 1 matches among the first ``4 * (cap + 1)``
    messages in index order, then asks the full-text index: either way it says "common"
    (null) exactly when more than ``cap`` messages match, and else names their conversations."""
    store = client.runtime.store
    matching: set[Any] = set()
    for i in range(6):
        user = await make_user(f"Q{i}")
        conversation = await store.conversations.create(user.id)
        for j in range(3):
            text = "el mercado del barrio" if (i + j) % 4 == 0 else "otra cosa"
            await store.messages.add(NewMessage(conversation_id=conversation.id, user_id=user.id,
                                                is_from_user=True, content=text))
            if "mercado" in text:
                matching.add(conversation.id)
    db = client.runtime.db
    total = await db.fetch_value(
        "select count(*) from messages where content_tsv @@ ignacio_fts_query('mercado')")
    assert total == 4
    for cap in range(8):
        found = await db.fetch_value("select ignacio_conversations_matching('mercado', %s)", cap)
        if cap < total:
            assert found is None, cap
        else:
            assert set(found) == matching, cap


async def test_best_match_is_found_inside_and_beyond_the_recent_window(
        client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The best match is looked for among a conversation's newest messages first; a
    conversation whose only match is older than that window still gets it (through the
    index), and within the window the better-ranked match wins over the newer one."""
    from ignacio_agents.store import messages as message_store

    monkeypatch.setattr(message_store, "RECENT_MATCH_WINDOW", 3)
    store = client.runtime.store
    user = await make_user("Ventana")
    old_only = await store.conversations.create(user.id)
    recent = await store.conversations.create(user.id)
    texts = {old_only.id: ["la subvención del ayuntamiento", "hola", "vale", "gracias", "adiós"],
             recent.id: ["nada", "subvención y más subvención", "una subvención", "fin"]}
    ids: dict[tuple[Any, str], Any] = {}
    for conversation_id, words in texts.items():
        for text in words:
            added = await store.messages.add(NewMessage(
                conversation_id=conversation_id, user_id=user.id, is_from_user=True,
                content=text))
            assert added is not None
            ids[conversation_id, text] = added.id
    found = await store.messages.best_matches([old_only.id, recent.id], "subvención")
    assert found[old_only.id].message_id == ids[old_only.id, "la subvención del ayuntamiento"]
    assert found[recent.id].message_id == ids[recent.id, "subvención y más subvención"]
    assert any(matched and "subvención" in text for text, matched in found[old_only.id].parts)
    assert await store.messages.best_matches([recent.id], "zafiro") == {}


async def test_only_the_newest_matches_are_ranked(
        client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the window, the best match is the best ranked of the newest
    ``RECENT_MATCHES_RANKED`` matches: an older, better match past them is not read."""
    from ignacio_agents.store import messages as message_store

    store = client.runtime.store
    user = await make_user("Recientes")
    conversation = await store.conversations.create(user.id)
    ids = {}
    for text in ["mercado, mercado y más mercado", "un mercado", "nada", "otro mercado",
                 "el mercado y el mercado", "fin"]:
        added = await store.messages.add(NewMessage(
            conversation_id=conversation.id, user_id=user.id, is_from_user=True, content=text))
        assert added is not None
        ids[text] = added.id

    async def best(ranked: int) -> Any:
        monkeypatch.setattr(message_store, "RECENT_MATCHES_RANKED", ranked)
        found = await store.messages.best_matches([conversation.id], "mercado")
        return found[conversation.id].message_id

    assert await best(1) == ids["el mercado y el mercado"]  # the newest match
    assert await best(2) == ids["el mercado y el mercado"]  # two occurrences beat one
    assert await best(4) == ids["mercado, mercado y más mercado"]  # three beat two


async def test_a_match_only_english_stems_is_marked(client: Any, make_user: Any) -> None:
    """The snippet is parsed as Spanish unless that marks nothing: "running" matches "run"
    only through English stemming, and is still marked."""
    store = client.runtime.store
    user = await make_user("English")
    conversation = await store.conversations.create(user.id)
    await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=True,
        content="The team is running three pilots in the neighbourhood"))
    spanish = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=True,
        content="Los mercados del barrio abren los sábados"))
    assert spanish is not None
    english = await store.messages.best_matches([conversation.id], "run")
    assert [t for t, m in english[conversation.id].parts if m] == ["running"]
    found = await store.messages.best_matches([conversation.id], "mercado")
    assert found[conversation.id].message_id == spanish.id
    assert [t for t, m in found[conversation.id].parts if m] == ["mercados"]
