"""WhatsApp end to end: the real app (make_client) on a fresh Postgres, our real Graph client
talking HTTP to a fake Graph server on loopback, and a real procrastinate worker."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from typing import Any

import pytest

from channels.whatsapp.identity import phone_candidates
from channels.whatsapp.inbound import feedback_value, is_new_conversation_command, is_stale
from channels.whatsapp.replies import NOT_ENROLLED, reply_text
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.store.messages import NewMessage
from tests.fakes.graph import (
    FakeGraphServer,
    audio_webhook,
    document_webhook,
    image_webhook,
    media_sha256,
    message_item,
    reaction_webhook,
    status_item,
    status_webhook,
    text_webhook,
    webhook_payload,
)
from tests.fakes.transcription import FakeTranscriptionServer
from tests.filegen import make_ogg, make_pdf, make_png
from tests.whatsapp_harness import (
    APP_SECRET,
    VERIFY_TOKEN,
    WA_USER,
    WA_USER_2,
    WEBHOOK,
    WORKER,
    TurnLog,
    advisor_model,
    fetch_all,
    post_webhook,
    scalar,
    sent_texts,
    text_attempts,
    use_model,
    wait_for_idle_queue,
    whatsapp_settings,
)


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))


@pytest.fixture
async def no_worker_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    """The app without a worker: what the webhook alone stores and queues."""
    return await make_client(make_settings(**{**WORKER, "run_worker_in_process": False}),
                             whatsapp=whatsapp_settings(graph))


async def enroll(app: Any, wa_id: str = WA_USER, name: str = "Ana", **kw: Any) -> Any:
    return await app.runtime.store.users.create("+" + wa_id, name, **kw)


# --- verification, signature, malformed bodies -------------------------------------------------


async def test_verification_bad_signatures_and_malformed_bodies(no_worker_app: Any):
    app = no_worker_app
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    ok = await app.get(WEBHOOK, params=params)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = await app.get(WEBHOOK, params={**params, "hub.verify_token": "guess"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
    assert (await app.get(WEBHOOK, params={"hub.challenge": "1"})).status_code == 403

    # A bad or missing signature: 401, and nothing is stored or queued.
    await enroll(app)
    payload = text_webhook("hola", wa_id=WA_USER)
    forged = await post_webhook(app, payload, secret="not-our-secret")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_signature"
    assert (await app.post(WEBHOOK, json=payload)).status_code == 401
    for table in ("messages", "conversations", "rate_limit_events"):
        assert await scalar(app, f"select count(*) from {table}") == 0, table
    assert await scalar(app, "select count(*) from procrastinate_jobs"
                        " where task_name like 'whatsapp:%%'") == 0

    # Signed but not a WhatsApp webhook: 400.
    for body in (b"{not json", b"[1, 2]", b'{"object": "page", "entry": []}'):
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = await app.post(
            WEBHOOK, content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "bad_request"


# --- what the webhook stores and queues ----------------------------------------------------------


async def test_webhook_stores_once_queues_one_locked_job_and_skips_stale(no_worker_app: Any):
    user = await enroll(no_worker_app)
    payload = text_webhook("¿Cómo valido mi idea?", wa_id=WA_USER, user_id="ES.abc123")
    responses = await asyncio.gather(*[post_webhook(no_worker_app, payload) for _ in range(5)])
    assert [r.status_code for r in responses] == [200] * 5

    [message] = await fetch_all(no_worker_app, "select * from messages")
    assert message["content"] == "¿Cómo valido mi idea?"
    assert message["is_from_user"] and message["channel"] == "whatsapp"
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert message["external_id"] != wamid  # stored as a keyed hash, never in clear
    found = await no_worker_app.runtime.store.messages.get_by_external_id(wamid)
    assert found is not None and found.id == message["id"] and found.external_id == wamid
    [conversation] = await fetch_all(no_worker_app, "select * from conversations")
    assert conversation["channel"] == "whatsapp" and conversation["user_id"] == user.id
    jobs = await fetch_all(no_worker_app, "select task_name, lock, args from procrastinate_jobs"
                           " where task_name like 'whatsapp:%%'")
    assert [j["task_name"] for j in jobs] == ["whatsapp:answer_message"]
    assert jobs[0]["lock"] == f"conv:{conversation['id']}"
    assert jobs[0]["args"]["message_id"] == str(message["id"])
    assert WA_USER not in str(jobs[0]["args"])  # the recipient is sealed, never plain
    users = no_worker_app.runtime.store.users
    assert await users.channel_identity(user.id, "whatsapp") == "ES.abc123"  # the BSUID is kept

    # Older than whatsapp_max_inbound_age_seconds (30 min; Meta replays for days after an
    # outage): queued as late (answered once per backlog, with an apology).
    old = int(time.time()) - 2 * 3600
    stale = await post_webhook(no_worker_app, text_webhook("¿sigues ahí?", wa_id=WA_USER,
                                                           timestamp=old))
    assert stale.status_code == 200
    assert await scalar(no_worker_app, "select count(*) from messages") == 2
    jobs = await fetch_all(no_worker_app, "select args from procrastinate_jobs"
                           " where task_name like 'whatsapp:%%' order by id")
    assert [j["args"].get("late") for j in jobs] == [False, True]


async def test_new_starts_a_fresh_conversation(no_worker_app: Any):
    user = await enroll(no_worker_app)
    store = no_worker_app.runtime.store
    await post_webhook(no_worker_app, text_webhook("primera idea", wa_id=WA_USER))
    first = await store.conversations.latest(user.id, "whatsapp")
    await post_webhook(no_worker_app, text_webhook("Nuevo", wa_id=WA_USER))
    await post_webhook(no_worker_app, text_webhook("otra idea", wa_id=WA_USER))
    second = await store.conversations.latest(user.id, "whatsapp")
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
    conversation = await store.conversations.latest_or_create(user.id, "whatsapp")
    reply = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=False, content="respuesta",
        channel="whatsapp", status=DeliveryStatus.sent,
    ))
    wamids = [f"wamid.OUT{index}.{reply.id}" for index in range(parts)]
    for index, wamid in enumerate(wamids):
        await store.messages.add_delivery(reply.id, index, external_id=wamid,
                                          status=DeliveryStatus.sent)
    return reply, wamids


async def test_status_webhooks_move_messages_forward_and_record_failures(no_worker_app: Any):
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

    # A failed status (e.g. outside the 24-hour window) carries its error code.
    other, [wamid] = await _sent_reply(no_worker_app, user)
    await post_webhook(no_worker_app, status_webhook(wamid, "failed", error_code=131047))
    failed = await store.messages.get(other.id)
    assert (failed.status, failed.error_code) == (DeliveryStatus.failed, "131047")


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


async def test_unknown_or_inactive_number_gets_one_polite_reply_and_nothing_is_stored(
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

    # A deactivated participant is treated the same way.
    await enroll(wa_app, is_active=False)
    await post_webhook(wa_app, text_webhook("hola", wa_id=WA_USER))
    [inactive] = await graph.wait_for_messages_async(1, to=WA_USER)
    await wait_for_idle_queue(wa_app)
    assert inactive["text"]["body"] == NOT_ENROLLED
    assert await scalar(wa_app, "select count(*) from messages") == 0
    assert len(sent_texts(graph)) == 2


# --- answers --------------------------------------------------------------------------------------


async def test_text_message_gets_exactly_one_reply_with_context_then_statuses(
    wa_app: Any, graph: FakeGraphServer,
):
    user = await enroll(wa_app)
    payload = text_webhook("Hola, ¿me ayudas con mi proyecto?", wa_id=WA_USER)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    # Meta retries and duplicates: five deliveries, three of them at the same moment.
    first = await asyncio.gather(*[post_webhook(wa_app, payload) for _ in range(3)])
    first += [await post_webhook(wa_app, payload) for _ in range(2)]
    assert [r.status_code for r in first] == [200] * 5

    [reply] = await graph.wait_for_messages_async(1)
    await wait_for_idle_queue(wa_app)
    assert (await post_webhook(wa_app, payload)).status_code == 200  # a late replay
    await wait_for_idle_queue(wa_app)

    assert graph.sent_messages() == [reply]
    assert reply["to"] == "+" + WA_USER
    assert reply["context"] == {"message_id": wamid}
    [words] = sent_texts(graph)
    assert words["text"]["body"].startswith("_⚠️")  # the offline model says so, in italics
    [receipt] = graph.read_receipts()
    assert receipt == {"messaging_product": "whatsapp", "status": "read", "message_id": wamid,
                       "typing_indicator": {"type": "text"}}
    rows = await fetch_all(wa_app, "select id, is_from_user, reply_to_id, status"
                           " from messages order by created_at")
    assert [r["is_from_user"] for r in rows] == [True, False]
    inbound, answer = rows
    stored = await wa_app.runtime.store.messages.get(inbound["id"])
    assert stored is not None and stored.external_id == wamid
    assert answer["reply_to_id"] == inbound["id"] and answer["status"] == "sent"
    [delivery] = await wa_app.runtime.store.messages.deliveries(answer["id"])
    sent_wamid = next(r for r in graph.requests if r.json == reply).response["messages"][0]["id"]
    assert delivery.external_id == sent_wamid

    store = wa_app.runtime.store
    await post_webhook(wa_app, status_webhook(sent_wamid, "sent"))
    await post_webhook(wa_app, status_webhook(sent_wamid, "delivered"))
    assert (await store.messages.get(answer["id"])).status is DeliveryStatus.delivered
    await post_webhook(wa_app, status_webhook(sent_wamid, "read"))
    assert (await store.messages.get(answer["id"])).status is DeliveryStatus.read
    conversations = await store.conversations.list_for_user(user.id)
    assert [c.channel for c in conversations.items] == ["whatsapp"]  # visible on the web


async def test_long_answer_arrives_as_ordered_parts(wa_app: Any, graph: FakeGraphServer):
    await enroll(wa_app)
    paragraphs = [f"Párrafo {i}: " + " ".join(f"palabra{i}x{j}" for j in range(60))
                  for i in range(14)]
    long_answer = "\n\n".join(paragraphs)
    assert len(long_answer) > 10_000
    use_model(wa_app, advisor_model(lambda _text: long_answer))
    payload = text_webhook("cuéntame todo", wa_id=WA_USER)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await post_webhook(wa_app, payload)

    await wait_for_idle_queue(wa_app)
    parts = sent_texts(graph)
    bodies = [p["text"]["body"] for p in parts]
    assert len(parts) >= 3
    assert all(len(body) <= 4096 for body in bodies)
    assert " ".join(bodies).split() == long_answer.split()  # every word, in order
    assert len(bodies[0]) <= 700  # a short first part (WHATSAPP_FIRST_PART_CHARS), then
    assert all(body.split("\n\n")[0].startswith("Párrafo") for body in bodies[2:])  # paragraphs
    assert parts[0]["context"] == {"message_id": wamid}
    assert all("context" not in p for p in parts[1:])
    [answer_id] = [r["id"] for r in await fetch_all(wa_app, "select id from messages"
                                                    " where not is_from_user")]
    deliveries = await wa_app.runtime.store.messages.deliveries(answer_id)
    assert [d.part_index for d in deliveries] == list(range(len(parts)))
    assert all(d.external_id for d in deliveries)


async def test_send_errors_permanent_fails_once_rate_limit_retries(
    wa_app: Any, graph: FakeGraphServer,
):
    await enroll(wa_app)
    store = wa_app.runtime.store
    # 131026 (undeliverable) for the next two /messages calls: the read receipt (best effort,
    # the turn goes on) and the reply itself.
    graph.fail_next("/messages", code=131026, times=2)
    await post_webhook(wa_app, text_webhook("primero", wa_id=WA_USER))
    await wait_for_idle_queue(wa_app)
    assert len(text_attempts(graph)) == 1  # never retried
    assert graph.sent_messages() == []
    [failed] = await fetch_all(wa_app, "select id, status, error_code from messages"
                               " where not is_from_user")
    assert (failed["status"], failed["error_code"]) == ("failed", "131026")

    graph.reset()
    graph.fail_next("/messages", code=130429, times=2)  # throughput limit: receipt, then reply
    await post_webhook(wa_app, text_webhook("segundo", wa_id=WA_USER))
    await graph.wait_for_messages_async(1)
    await wait_for_idle_queue(wa_app)
    attempts = text_attempts(graph)
    assert [a.status for a in attempts] == [400, 200]  # retried, then delivered
    assert attempts[0].response["error"]["code"] == 130429
    [answer] = await fetch_all(wa_app, "select id, status from messages where not is_from_user"
                               " and id <> %s", failed["id"])
    assert answer["status"] == "sent"
    assert (await store.messages.get(failed["id"])).status is DeliveryStatus.failed  # stays


async def test_burst_is_answered_in_order_and_users_run_concurrently(
    wa_app: Any, graph: FakeGraphServer,
):
    await enroll(wa_app, WA_USER, "Ana")
    await enroll(wa_app, WA_USER_2, "Luis")
    log = TurnLog()
    # Long model calls next to the turn's own overhead, so a loaded machine still shows overlap.
    use_model(wa_app, advisor_model(lambda text: f"re: {text}", delay=0.6, log=log))
    burst = [f"ana {i}" for i in range(1, 6)]
    for i, text in enumerate(burst):
        await post_webhook(wa_app, text_webhook(text, wa_id=WA_USER))
        if i == 0:
            await post_webhook(wa_app, text_webhook("luis 1", wa_id=WA_USER_2))
    await post_webhook(wa_app, text_webhook("luis 2", wa_id=WA_USER_2))

    await wait_for_idle_queue(wa_app, timeout=30)
    # Messages queued behind a running answer are answered together, once, in order: the
    # prompts of Ana's turns, read in order, are her burst, each message exactly once.
    ana_turns = [text for text, _, _ in log.calls if text.startswith("ana")]
    assert "\n\n".join(ana_turns).split("\n\n") == burst
    replies = [m["text"]["body"] for m in sent_texts(graph, to=WA_USER)]
    assert replies == [f"re: {text}" for text in ana_turns]
    luis_turns = [text for text, _, _ in log.calls if text.startswith("luis")]
    assert "\n\n".join(luis_turns).split("\n\n") == ["luis 1", "luis 2"]
    ana = [log.span(text) for text in ana_turns]
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(ana))
    luis_start, luis_end = log.span(luis_turns[0])
    assert any(start < luis_end and luis_start < end for start, end in ana)  # overlapped in time


# --- media ----------------------------------------------------------------------------------------


async def _media_rows(app: Any) -> list[dict[str, Any]]:
    return await fetch_all(
        app, "select m.content, m.message_type, m.file_id, m.file_path, f.file_name, f.file_type,"
        " f.source, f.file_path as blob_key, f.file_size from messages m"
        " join user_files f on f.id = m.file_id where m.is_from_user order by m.created_at")


async def test_image_document_and_voice_note_are_fetched_and_stored(
    wa_app: Any, graph: FakeGraphServer,
):
    user = await enroll(wa_app)
    png, pdf, ogg = make_png(), make_pdf(pages=1), make_ogg()
    graph.add_media("1001", png, "image/png")
    graph.add_media("1002", pdf, "application/pdf", chunked=True)
    graph.add_media("1003", ogg, "audio/ogg; codecs=opus")
    await post_webhook(wa_app, image_webhook("1001", caption="mi logo", mime_type="image/png",
                                             sha256=media_sha256(png), wa_id=WA_USER))
    await post_webhook(wa_app, document_webhook("1002", "Plan de negocio.pdf",
                                                sha256=media_sha256(pdf), wa_id=WA_USER))
    await post_webhook(wa_app, audio_webhook("1003", sha256=media_sha256(ogg), wa_id=WA_USER))

    replies = await graph.wait_for_messages_async(3, timeout=15)
    rows = await _media_rows(wa_app)
    assert [(r["message_type"], r["source"], r["file_type"]) for r in rows] == [
        ("image", "whatsapp", "image/png"), ("document", "whatsapp", "application/pdf"),
        ("audio", "whatsapp", "audio/ogg")]
    assert rows[0]["content"] == "mi logo"
    assert rows[1]["file_name"] == "Plan de negocio.pdf"
    assert [r["file_size"] for r in rows] == [len(png), len(pdf), len(ogg)]
    blobs = wa_app.runtime.blobs
    for row in rows:
        assert row["file_path"] == row["blob_key"]
        assert row["blob_key"].startswith(f"users/{user.id}/files/{row['file_id']}/")
        assert await blobs.exists(row["blob_key"])
    stored = b"".join([chunk async for chunk in blobs.get(rows[1]["blob_key"])])
    assert stored == pdf
    fetched = {r.path.rsplit("/", 1)[-1] for r in graph.requests if r.method == "GET"}
    assert {"1001", "1002", "1003"} <= fetched  # metadata asked of Graph for each media id
    assert sum(r.path.startswith("/whatsapp_business/attachments") for r in graph.requests) == 3
    # Without transcription configured, the voice note gets an honest answer.
    assert replies[2]["text"]["body"] == reply_text("audio_not_understood", "es")


async def test_voice_note_is_transcribed_when_configured(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    with FakeTranscriptionServer(text="Quiero validar mi idea de negocio") as transcriber:
        app = await make_client(make_settings(**WORKER, **transcriber.settings_overrides()),
                                whatsapp=whatsapp_settings(graph))
        await enroll(app)
        use_model(app, advisor_model(lambda text: f"Te escuché: {text}"))
        ogg = make_ogg()
        graph.add_media("2001", ogg, "audio/ogg; codecs=opus")
        await post_webhook(app, audio_webhook("2001", sha256=media_sha256(ogg), wa_id=WA_USER))
        [reply] = await graph.wait_for_messages_async(1, timeout=15)
        await wait_for_idle_queue(app)
    assert reply["text"]["body"] == "Te escuché: Quiero validar mi idea de negocio"
    [row] = await _media_rows(app)
    assert row["content"] == "Quiero validar mi idea de negocio"  # the transcript is the text
    # The file job and the turn shared one transcription of the bytes we downloaded.
    assert [r.audio for r in transcriber.requests] == [ogg]


async def test_oversized_and_unsupported_media_get_a_polite_reply(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await make_client(make_settings(**WORKER),
                             whatsapp=whatsapp_settings(graph, max_media_bytes=4096))
    await enroll(app)
    graph.add_media("3001", make_png(200, 200) + b"\0" * 8192, "image/png")
    graph.add_media("3002", b"MZ" + b"\0" * 200, "application/pdf")  # a program posing as a PDF
    await post_webhook(app, image_webhook("3001", mime_type="image/png", wa_id=WA_USER))
    await post_webhook(app, document_webhook("3002", "factura.pdf", wa_id=WA_USER))
    too_big, unsupported = await graph.wait_for_messages_async(2, timeout=15)
    await wait_for_idle_queue(app)
    assert too_big["text"]["body"] == reply_text("media_too_large", "es", limit="0.00390625 MB")
    assert unsupported["text"]["body"] == reply_text("media_unsupported", "es")
    assert await scalar(app, "select count(*) from user_files") == 0
    assert await scalar(app, "select count(*) from messages where not is_from_user"
                        " and reply_to_id is not null") == 2  # both answers are in the history


# --- identity ---------------------------------------------------------------------------------------


async def test_mexican_legacy_prefix_and_username_senders_are_recognised(
    wa_app: Any, graph: FakeGraphServer,
):
    """Enrolled as +52 55…, WhatsApp says 521 55…; later the user hides their number."""
    mx_wa_id, bsuid = "5215512345678", "MX.8312000451"
    user = await wa_app.runtime.store.users.create("+525512345678", "Lupita")
    await post_webhook(wa_app, text_webhook("hola", wa_id=mx_wa_id, user_id=bsuid))
    [first] = await graph.wait_for_messages_async(1)
    assert first["to"] == "+" + mx_wa_id  # answered exactly as WhatsApp addressed us
    assert await wa_app.runtime.store.users.channel_identity(user.id, "whatsapp") == bsuid

    username_only = webhook_payload(
        [message_item("text", {"body": "sigo aquí"}, wa_id=None, user_id=bsuid)],
        contacts=[{"profile": {"name": "Lupita", "username": "lupita"}, "user_id": bsuid}],
    )
    await post_webhook(wa_app, username_only)
    second = (await graph.wait_for_messages_async(2))[1]
    assert second.get("recipient") == bsuid and "to" not in second
    assert await scalar(wa_app, "select count(*) from messages where is_from_user"
                        " and user_id = %s", user.id) == 2


def test_phone_candidates_cover_whatsapp_quirks():
    assert phone_candidates("34612345678") == ["+34612345678"]
    assert phone_candidates("5215512345678") == ["+525512345678"]  # "+521…" is not a number
    assert phone_candidates("551187654321") == ["+5511987654321"]  # Brazil: the missing 9
    assert phone_candidates("") == []


def test_commands_reactions_and_age():
    from datetime import UTC, datetime, timedelta

    from channels.whatsapp.payload import InboundWhatsAppMessage

    assert all(is_new_conversation_command(t) for t in ("new", "Nuevo", " NUEVO! ", "¡nueva!"))
    assert not any(is_new_conversation_command(t) for t in ("nuevo proyecto", "", None, "news"))
    assert [feedback_value(e) for e in ("👍", "👍🏿", "👎", "👎🏻", None)] == [1, 1, -1, -1, None]
    with pytest.raises(KeyError):
        feedback_value("❤️")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    fresh = InboundWhatsAppMessage(wamid="w1", type="text", timestamp=now - timedelta(minutes=5))
    old = InboundWhatsAppMessage(wamid="w2", type="text", timestamp=now - timedelta(hours=1))
    unknown = InboundWhatsAppMessage(wamid="w3", type="text")
    assert [is_stale(m, 1800, now) for m in (fresh, old, unknown)] == [False, True, False]
