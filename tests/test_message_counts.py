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


async def test_a_bulk_webhook_delivery_and_its_replay_keep_counts_right(
        make_client: Any, make_settings: Any, graph: Any) -> None:
    """WhatsApp deliveries are stored a few hundred messages per statement, and a replayed
    delivery inserts nothing (``on conflict do nothing``): the kept counts follow both."""
    from tests.fakes.graph import text_item, webhook_payload
    from tests.whatsapp_harness import WORKER, post_webhook, whatsapp_settings

    settings = make_settings(**{**WORKER, "consent_notice_enabled": False,
                                "run_worker_in_process": False})
    app = await make_client(settings, whatsapp=whatsapp_settings(graph))
    senders = [f"346130001{i:02d}" for i in range(5)]
    for i, wa_id in enumerate(senders):
        await app.runtime.store.users.create("+" + wa_id, f"Participante {i}")
    items = [text_item(f"mensaje {i}", wa_id=senders[i % len(senders)],
                       wamid=f"wamid.count-{i:03d}") for i in range(40)]
    for _ in range(2):  # Meta resends a delivery it thinks was lost
        assert (await post_webhook(app, webhook_payload(items))).status_code == 200
    counts = await _counts(app.runtime.db)
    assert sum(actual for _, actual in counts.values()) >= 40
    assert all(kept == actual for kept, actual in counts.values()), counts
