"""Each conversation keeps its message count (the admin and mentor lists show it): the
database's triggers keep it right for single inserts, multi-row inserts and cascades."""

from __future__ import annotations

from typing import Any

from ignacio_agents.store.messages import NewMessage


async def _counts(db: Any) -> dict[Any, tuple[int, int]]:
    """Each conversation's kept count beside a fresh count of its messages."""
    rows = await db.fetch_all(
        dict, "select c.id, c.message_count, (select count(*) from messages m"
        " where m.conversation_id = c.id)::integer as actual from conversations c")
    return {r["id"]: (r["message_count"], r["actual"]) for r in rows}


async def test_the_kept_count_follows_inserts_and_deletions(client: Any, make_user: Any) -> None:
    store = client.runtime.store
    db = client.runtime.db
    ana = await make_user("Ana")
    bruno = await make_user("Bruno")
    first = await store.conversations.create(ana.id)
    second = await store.conversations.create(ana.id)
    other = await store.conversations.create(bruno.id)
    for i in range(3):
        await store.messages.add(NewMessage(conversation_id=first.id, user_id=ana.id,
                                            is_from_user=i % 2 == 0, content=f"mensaje {i}"))
    await store.messages.add(NewMessage(conversation_id=other.id, user_id=bruno.id,
                                        is_from_user=True, content="hola"))
    # several rows, two conversations, one statement
    await db.execute(
        "insert into messages (conversation_id, user_id, is_from_user, content)"
        " select c, %s, true, 'lote' from unnest(array[%s, %s, %s]::uuid[]) as c",
        ana.id, second.id, second.id, first.id)
    counts = await _counts(db)
    assert counts[first.id] == (4, 4)
    assert counts[second.id] == (2, 2)
    assert counts[other.id] == (1, 1)

    await db.execute("delete from messages where conversation_id = %s and content = 'lote'",
                     second.id)
    assert (await _counts(db))[second.id] == (0, 0)
    assert await store.conversations.delete(first.id, ana.id)
    counts = await _counts(db)
    assert first.id not in counts
    assert counts[other.id] == (1, 1)
    assert all(kept == actual for kept, actual in counts.values())


async def test_the_admin_list_shows_the_kept_count(client: Any, make_user: Any,
                                                  auth_headers: Any) -> None:
    store = client.runtime.store
    admin = await make_user("Ada", is_admin=True)
    ana = await make_user("Ana")
    conversation = await store.conversations.create(ana.id)
    for text in ("uno", "dos"):
        await store.messages.add(NewMessage(conversation_id=conversation.id, user_id=ana.id,
                                            is_from_user=True, content=text))
    response = await client.get("/admin/conversations", headers=await auth_headers(admin))
    assert response.status_code == 200
    [row] = [c for c in response.json()["items"] if c["id"] == str(conversation.id)]
    assert row["message_count"] == 2
