"""Delivery statuses of one webhook stored together (``MessageStore.apply_statuses``): one
transaction of two statements sent as one pipeline, with what storing them one by one gave:
parts never move backward, each message rolls up to its least advanced part (or failed), each
change is announced once, and concurrent deliveries about the same message see each other's
parts (real app, real Postgres)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg

from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.notify import CHANNEL
from ignacio_agents.store.messages import NewMessage
from tests.fakes.graph import FakeGraphServer, status_item, webhook_payload
from tests.statements import Statements
from tests.whatsapp_harness import WA_USER, fetch_all, post_webhook, whatsapp_settings


async def _app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(run_worker_in_process=False),
                             whatsapp=whatsapp_settings(graph))


async def _sent_reply(app: Any, user: Any, parts: int) -> tuple[Any, list[str]]:
    """An answer as the worker leaves it: stored, its parts sent with their wamids."""
    store = app.runtime.store
    conversation = await store.conversations.latest_or_create(user.id, "whatsapp")
    reply = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=False,
        content="respuesta", channel="whatsapp", status=DeliveryStatus.sent,
    ))
    wamids = [f"wamid.OUT{index}.{reply.id}" for index in range(parts)]
    for index, wamid in enumerate(wamids):
        await store.messages.add_delivery(reply.id, index, external_id=wamid,
                                          status=DeliveryStatus.sent)
    return reply, wamids


async def test_a_delivery_of_statuses_is_one_transaction_with_the_one_by_one_outcome(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, statements: Statements,
):
    app = await _app(make_client, make_settings, graph)
    store = app.runtime.store
    user = await store.users.create("+" + WA_USER, "Ana")
    two, [a0, a1] = await _sent_reply(app, user, parts=2)
    one, [b0] = await _sent_reply(app, user, parts=1)
    lost, [c0] = await _sent_reply(app, user, parts=1)
    payload = webhook_payload(statuses=[
        status_item(a0, "read", recipient_id=WA_USER),
        status_item(a0, "delivered", recipient_id=WA_USER),  # late: never backward
        status_item(a1, "delivered", recipient_id=WA_USER),
        status_item(b0, "delivered", recipient_id=WA_USER),
        status_item(b0, "read", recipient_id=WA_USER),
        status_item(c0, "failed", recipient_id=WA_USER, error_code=131026),
        status_item("wamid.nobody-knows", "read", recipient_id=WA_USER),
    ])

    listener = await psycopg.AsyncConnection.connect(app.runtime.conninfo, autocommit=True)
    await listener.execute(f"listen {CHANNEL}")
    with statements.counting():
        assert (await post_webhook(app, payload)).status_code == 200
    assert len(statements.sql) == 2 and len(statements.transactions) == 1, statements.sql

    parts = {r["part_index"]: r["status"] for r in await fetch_all(
        app, "select part_index, status from message_deliveries where message_id = %s", two.id)}
    assert parts == {0: "read", 1: "delivered"}
    assert (await store.messages.get(two.id)).status is DeliveryStatus.delivered
    assert (await store.messages.get(one.id)).status is DeliveryStatus.read
    failed = await store.messages.get(lost.id)
    assert (failed.status, failed.error_code) == (DeliveryStatus.failed, "131026")
    [attention] = await fetch_all(app, "select kind, message_id from attention_items")
    assert (attention["kind"], attention["message_id"]) == ("delivery_failed", lost.id)

    events = []
    async with asyncio.timeout(5):
        async for notice in listener.notifies():
            events.append(json.loads(notice.payload))
            if len(events) == 3:
                break
    await listener.close()
    assert sorted((e["message_id"], e["data"]["status"], e["data"]["error_code"])
                  for e in events) == sorted([
        (str(two.id), "delivered", None), (str(one.id), "read", None),
        (str(lost.id), "failed", "131026")])
    assert {(e["kind"], e["user_id"]) for e in events} == {("message.updated", str(user.id))}

    # Meta resends the delivery: nothing moves, nothing is announced again.
    assert (await post_webhook(app, payload)).status_code == 200
    assert (await store.messages.get(two.id)).status is DeliveryStatus.delivered


async def test_concurrent_deliveries_about_one_message_see_each_others_parts(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await _app(make_client, make_settings, graph)
    store = app.runtime.store
    user = await store.users.create("+" + WA_USER, "Ana")
    replies = [await _sent_reply(app, user, parts=3) for _ in range(4)]
    # Each part's "delivered" in its own delivery, all at once: whichever commits last rolls
    # its message up with the other parts already delivered.
    await asyncio.gather(*[
        post_webhook(app, webhook_payload(statuses=[status_item(w, "delivered",
                                                                recipient_id=WA_USER)]))
        for _, wamids in replies for w in wamids])
    for reply, _ in replies:
        assert (await store.messages.get(reply.id)).status is DeliveryStatus.delivered
