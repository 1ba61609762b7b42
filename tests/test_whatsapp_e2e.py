"""WhatsApp end to end: the real app (make_client) on a fresh Postgres, our real Graph client
talking HTTP to a fake Graph server on loopback, and a real procrastinate worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from channels.whatsapp.replies import NOT_ENROLLED
from ignacio_agents.domain import Channel, DeliveryStatus
from tests.fakes.graph import (
    FakeGraphServer,
    reaction_webhook,
    status_item,
    status_webhook,
    text_webhook,
    webhook_payload,
)
from tests.whatsapp_harness import (
    APP_SECRET,
    VERIFY_TOKEN,
    WA_USER,
    WEBHOOK,
    fetch_all,
    post_webhook,
    scalar,
    sent_texts,
    wait_for_idle_queue,
    whatsapp_settings,
)


@pytest.fixture(scope="module")
def graph_server() -> Iterator[FakeGraphServer]:
    with FakeGraphServer() as server:
        yield server


@pytest.fixture
def graph(graph_server: FakeGraphServer) -> FakeGraphServer:
    graph_server.reset()
    return graph_server


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**whatsapp_settings(graph)))


@pytest.fixture
async def no_worker_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    """The app without a worker: what the webhook alone stores and queues."""
    return await make_client(make_settings(**whatsapp_settings(graph, run_worker_in_process=False)))


async def enroll(app: Any, wa_id: str = WA_USER, name: str = "Ana", **kw: Any) -> Any:
    return await app.runtime.store.users.create("+" + wa_id, name, **kw)


# --- verification, signature, malformed bodies -------------------------------------------------


async def test_get_verification_echoes_the_challenge_only_with_our_token(no_worker_app: Any):
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    ok = await no_worker_app.get(WEBHOOK, params=params)
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")

    wrong = await no_worker_app.get(WEBHOOK, params={**params, "hub.verify_token": "guess"})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"
    missing = await no_worker_app.get(WEBHOOK, params={"hub.challenge": "1"})
    assert missing.status_code == 403


async def test_bad_signature_is_401_and_stores_nothing(no_worker_app: Any):
    await enroll(no_worker_app)
    payload = text_webhook("hola", wa_id=WA_USER)
    forged = await post_webhook(no_worker_app, payload, secret="not-our-secret")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_signature"
    unsigned = await no_worker_app.post(WEBHOOK, json=payload)
    assert unsigned.status_code == 401
    assert await scalar(no_worker_app, "select count(*) from messages") == 0
    assert await scalar(no_worker_app, "select count(*) from conversations") == 0
    assert await scalar(no_worker_app, "select count(*) from procrastinate_jobs"
                        " where task_name like 'whatsapp:%%'") == 0


async def test_malformed_json_is_400(no_worker_app: Any):
    import hashlib
    import hmac

    for body in (b"{not json", b"[1, 2]", b'{"object": "page", "entry": []}'):
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = await no_worker_app.post(
            WEBHOOK, content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "bad_request"


# --- what the webhook stores and queues ----------------------------------------------------------


async def test_webhook_stores_once_and_queues_one_locked_job(no_worker_app: Any):
    user = await enroll(no_worker_app)
    payload = text_webhook("¿Cómo valido mi idea?", wa_id=WA_USER, user_id="ES.abc123")
    responses = await asyncio.gather(*[post_webhook(no_worker_app, payload) for _ in range(5)])
    assert [r.status_code for r in responses] == [200] * 5

    [message] = await fetch_all(no_worker_app, "select * from messages")
    assert message["content"] == "¿Cómo valido mi idea?"
    assert message["is_from_user"] and message["channel"] == "whatsapp"
    assert message["whatsapp_message_id"] == payload["entry"][0]["changes"][0]["value"][
        "messages"][0]["id"]
    [conversation] = await fetch_all(no_worker_app, "select * from conversations")
    assert conversation["channel"] == "whatsapp" and conversation["user_id"] == user.id
    jobs = await fetch_all(no_worker_app, "select task_name, lock, args from procrastinate_jobs"
                           " where task_name like 'whatsapp:%%'")
    assert [j["task_name"] for j in jobs] == ["whatsapp:answer_message"]
    assert jobs[0]["lock"] == f"conv:{conversation['id']}"
    assert jobs[0]["args"]["message_id"] == str(message["id"])
    assert WA_USER not in str(jobs[0]["args"])  # the recipient is sealed, never plain
    refreshed = await no_worker_app.runtime.store.users.get(user.id)
    assert refreshed.whatsapp_user_id == "ES.abc123"  # the BSUID is kept


async def test_stale_message_is_stored_but_not_answered(no_worker_app: Any):
    import time

    await enroll(no_worker_app)
    old = int(time.time()) - 2 * 3600  # older than whatsapp_max_inbound_age_seconds (30 min)
    response = await post_webhook(no_worker_app, text_webhook("¿sigues ahí?", wa_id=WA_USER,
                                                              timestamp=old))
    assert response.status_code == 200
    assert await scalar(no_worker_app, "select count(*) from messages") == 1
    assert await scalar(no_worker_app, "select count(*) from procrastinate_jobs"
                        " where task_name like 'whatsapp:%%'") == 0


async def test_new_starts_a_fresh_conversation(no_worker_app: Any):
    user = await enroll(no_worker_app)
    store = no_worker_app.runtime.store
    await post_webhook(no_worker_app, text_webhook("primera idea", wa_id=WA_USER))
    first = await store.conversations.latest(user.id, Channel.whatsapp)
    await post_webhook(no_worker_app, text_webhook("Nuevo", wa_id=WA_USER))
    await post_webhook(no_worker_app, text_webhook("otra idea", wa_id=WA_USER))
    second = await store.conversations.latest(user.id, Channel.whatsapp)
    assert first is not None and second is not None and first.id != second.id
    assert [m.content for m in await store.messages.transcript(first.id)] == [
        "primera idea", "Nuevo"]
    assert [m.content for m in await store.messages.transcript(second.id)] == ["otra idea"]
    kinds = await fetch_all(no_worker_app, "select args->>'kind' as kind from procrastinate_jobs"
                            " where task_name = 'whatsapp:answer_message' order by id")
    assert [k["kind"] for k in kinds] == ["text", "new_conversation", "text"]


# --- statuses and reactions ----------------------------------------------------------------------


async def _sent_reply(app: Any, user: Any, parts: int = 1) -> tuple[Any, list[str]]:
    """An assistant message as the worker leaves it: stored, parts sent with their wamids."""
    store = app.runtime.store
    conversation = await store.conversations.latest_or_create(user.id, Channel.whatsapp)
    reply = await store.messages.add(conversation.id, user.id, is_from_user=False,
                                     content="respuesta", channel=Channel.whatsapp,
                                     status=DeliveryStatus.sent)
    wamids = [f"wamid.OUT{index}.{reply.id}" for index in range(parts)]
    for index, wamid in enumerate(wamids):
        await store.messages.add_delivery(reply.id, index, whatsapp_message_id=wamid,
                                          status=DeliveryStatus.sent)
    return reply, wamids


async def test_status_webhooks_move_the_message_to_delivered_then_read(no_worker_app: Any):
    user = await enroll(no_worker_app)
    reply, [w0, w1] = await _sent_reply(no_worker_app, user, parts=2)
    store = no_worker_app.runtime.store

    # Read of part 0 arrives before its delivered (order is not guaranteed): never backward.
    await post_webhook(no_worker_app, status_webhook(w0, "read", recipient_id=WA_USER))
    await post_webhook(no_worker_app, status_webhook(w0, "delivered", recipient_id=WA_USER))
    assert (await store.messages.get(reply.id)).status is DeliveryStatus.sent  # part 1 lags
    await post_webhook(no_worker_app, status_webhook(w1, "delivered", recipient_id=WA_USER))
    assert (await store.messages.get(reply.id)).status is DeliveryStatus.delivered
    # Both parts read, in one batched delivery.
    both = webhook_payload(statuses=[status_item(w1, "read", recipient_id=WA_USER),
                                     status_item(w0, "read", recipient_id=WA_USER)])
    assert (await post_webhook(no_worker_app, both)).status_code == 200
    assert (await store.messages.get(reply.id)).status is DeliveryStatus.read


async def test_failed_status_marks_the_message_failed_with_its_code(no_worker_app: Any):
    user = await enroll(no_worker_app)
    reply, [wamid] = await _sent_reply(no_worker_app, user)
    response = await post_webhook(no_worker_app, status_webhook(wamid, "failed", error_code=131047))
    assert response.status_code == 200
    stored = await no_worker_app.runtime.store.messages.get(reply.id)
    assert (stored.status, stored.error_code) == (DeliveryStatus.failed, "131047")


async def test_thumbs_reactions_are_feedback_on_our_message(no_worker_app: Any):
    user = await enroll(no_worker_app)
    reply, [wamid] = await _sent_reply(no_worker_app, user)
    store = no_worker_app.runtime.store

    await post_webhook(no_worker_app, reaction_webhook(wamid, "👍🏽", wa_id=WA_USER))
    assert (await store.messages.get(reply.id)).feedback == 1
    await post_webhook(no_worker_app, reaction_webhook(wamid, "👎", wa_id=WA_USER))
    assert (await store.messages.get(reply.id)).feedback == -1
    await post_webhook(no_worker_app, reaction_webhook(wamid, "😂", wa_id=WA_USER))
    assert (await store.messages.get(reply.id)).feedback == -1  # other emoji: no opinion
    await post_webhook(no_worker_app, reaction_webhook(wamid, None, wa_id=WA_USER))
    assert (await store.messages.get(reply.id)).feedback is None  # reaction removed
    # Someone else cannot rate Ana's answer; reactions are never stored as messages.
    await enroll(no_worker_app, "34612000009", "Luis")
    await post_webhook(no_worker_app, reaction_webhook(wamid, "👎", wa_id="34612000009"))
    assert (await store.messages.get(reply.id)).feedback is None
    assert await scalar(no_worker_app, "select count(*) from messages") == 1


# --- strangers ----------------------------------------------------------------------------------


async def test_unknown_number_gets_one_polite_reply_and_nothing_is_stored(
    wa_app: Any, graph: FakeGraphServer,
):
    stranger = "34699000111"
    payloads = [text_webhook(f"hola {i}", wa_id=stranger) for i in range(4)]
    responses = await asyncio.gather(*[post_webhook(wa_app, p) for p in payloads])
    assert [r.status_code for r in responses] == [200] * 4
    [reply] = await graph.wait_for_messages_async(1, to=stranger)
    await wait_for_idle_queue(wa_app)
    await post_webhook(wa_app, text_webhook("¿hola?", wa_id=stranger))
    await wait_for_idle_queue(wa_app)

    assert reply["to"] == "+" + stranger
    assert reply["text"]["body"] == NOT_ENROLLED
    assert len(graph.sent_messages(to=stranger)) == 1
    for table in ("users", "conversations", "messages", "user_files"):
        assert await scalar(wa_app, f"select count(*) from {table}") == 0, table
    [event] = await fetch_all(wa_app, "select bucket, key_hash from rate_limit_events")
    assert stranger.encode() not in bytes(event["key_hash"])


async def test_inactive_user_is_treated_as_not_enrolled(wa_app: Any, graph: FakeGraphServer):
    await enroll(wa_app, is_active=False)
    await post_webhook(wa_app, text_webhook("hola", wa_id=WA_USER))
    [reply] = await graph.wait_for_messages_async(1, to=WA_USER)
    assert reply["text"]["body"] == NOT_ENROLLED
    assert await scalar(wa_app, "select count(*) from messages") == 0
    assert sent_texts(graph) == [reply]
