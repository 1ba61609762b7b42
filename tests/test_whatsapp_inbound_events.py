"""WhatsApp events beyond plain messages, end to end (real app, real Postgres, real worker, our
Graph client against the fake Graph API on loopback): another business number, number and id
changes, system notices, ``request_welcome``, revokes, edits, groups, and what a richer message
keeps (the quoted message in the turn, Flow answers, referral and forwarded flags, its type)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest

from channels.whatsapp.markup import to_whatsapp
from channels.whatsapp.quotes import quote_line
from channels.whatsapp.replies import NOT_ENROLLED, reply_text, welcome_text
from ignacio_agents.store.messages import SOURCE_TYPE_CHARS
from tests.fakes.graph import (
    FakeGraphServer,
    message_item,
    text_webhook,
    webhook_payload,
)
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    TurnLog,
    advisor_model,
    fetch_all,
    post_webhook,
    scalar,
    sent_texts,
    use_model,
    wait_for_idle_queue,
    wait_until,
    whatsapp_settings,
)

NEW_NUMBER = "34612000077"


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))


@pytest.fixture
async def no_worker_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**{**WORKER, "run_worker_in_process": False}),
                             whatsapp=whatsapp_settings(graph))


async def enroll(app: Any, wa_id: str = WA_USER, name: str = "Ana María", **kw: Any) -> Any:
    return await app.runtime.store.users.create("+" + wa_id, name, **kw)


async def admin_headers(app: Any) -> dict[str, str]:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    rt = app.runtime
    admin = await rt.store.users.create("+34699111222", "Ada", is_admin=True)
    session = await rt.store.sessions.create(admin.id, new_token(), timedelta(days=1))
    return {"Authorization": f"Bearer {issue_access_token(rt.settings, admin.id, session.id, True)}"}


async def participant_headers(app: Any, user: Any) -> dict[str, str]:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    rt = app.runtime
    session = await rt.store.sessions.create(user.id, new_token(), timedelta(days=1))
    return {"Authorization": f"Bearer {issue_access_token(rt.settings, user.id, session.id, False)}"}


def event_webhook(type_: str, obj: Any, **kw: Any) -> dict[str, Any]:
    """A ``messages[]`` item of ``type_`` (system, revoke, edit, request_welcome...)."""
    contacts = kw.pop("contacts", None)
    item = message_item(type_, obj, **kw)
    if obj is None:
        item.pop(type_)
    return webhook_payload([item], contacts=contacts)


def wamid_of(payload: dict[str, Any]) -> str:
    return str(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])


async def answered(app: Any, graph: FakeGraphServer, payload: dict[str, Any], count: int = 1,
                   ) -> list[dict[str, Any]]:
    """Post ``payload``, let the worker finish; the texts sent since."""
    before = len(sent_texts(graph))
    assert (await post_webhook(app, payload)).status_code == 200
    await wait_for_idle_queue(app, timeout=30)
    sent = sent_texts(graph)[before:]
    assert len(sent) == count, sent
    return sent


# --- routing ---------------------------------------------------------------------------------


async def test_another_business_number_is_acknowledged_and_ignored(
    wa_app: Any, graph: FakeGraphServer, caplog: pytest.LogCaptureFixture,
):
    await enroll(wa_app)
    other = text_webhook("hola", wa_id=WA_USER, phone_number_id="999000111222333")
    status = webhook_payload(statuses=[{"id": "wamid.someone-else", "status": "read",
                                        "timestamp": str(int(time.time())),
                                        "recipient_id": WA_USER}],
                             phone_number_id="999000111222333")
    with caplog.at_level(logging.DEBUG, logger="channels.whatsapp.webhook"):
        assert (await post_webhook(wa_app, other)).status_code == 200
        assert (await post_webhook(wa_app, status)).status_code == 200
    await wait_for_idle_queue(wa_app)
    assert await scalar(wa_app, "select count(*) from messages") == 0
    assert await scalar(wa_app, "select count(*) from conversations") == 0
    assert await scalar(wa_app, "select count(*) from procrastinate_jobs"
                        " where task_name like 'whatsapp:%%'") == 0
    assert [r for r in graph.requests if r.method == "POST"] == []  # not even a read receipt
    handled = [r.getMessage() for r in caplog.records if "webhook handled" in r.getMessage()]
    assert handled == ["whatsapp webhook handled: other_number=1"] * 2

    # Ours is still answered.
    await answered(wa_app, graph, text_webhook("hola", wa_id=WA_USER,
                                               phone_number_id=graph.phone_number_id))


async def test_group_messages_are_ignored(wa_app: Any, graph: FakeGraphServer):
    await enroll(wa_app)
    payload = text_webhook("hola a todos", wa_id=WA_USER)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["group_id"] = "GROUP.123"
    await answered(wa_app, graph, payload, count=0)
    assert await scalar(wa_app, "select count(*) from messages") == 0


# --- identity --------------------------------------------------------------------------------


async def test_number_change_keeps_the_participant_and_their_conversation(
    wa_app: Any, graph: FakeGraphServer,
):
    store = wa_app.runtime.store
    user = await enroll(wa_app)
    await answered(wa_app, graph, text_webhook("primera pregunta", wa_id=WA_USER,
                                               user_id="ES.old-bsuid"))
    [conversation] = (await store.conversations.list_for_user(user.id)).items

    change = event_webhook("system", {
        "body": f"User Ana changed from {WA_USER} to {NEW_NUMBER}", "wa_id": NEW_NUMBER,
        "type": "user_changed_number", "user_id": "ES.new-bsuid",
        "previous_user_id": "ES.old-bsuid",
    }, wa_id=WA_USER, contacts=[])
    for _ in range(3):  # replays change nothing more
        await answered(wa_app, graph, change, count=0)

    assert (await store.users.get_by_phone("+" + WA_USER)) is None
    moved = await store.users.get_by_phone("+" + NEW_NUMBER)
    assert moved is not None and moved.id == user.id and moved.phone_number == "+" + NEW_NUMBER
    assert await store.users.channel_identity(user.id, "whatsapp") == "ES.new-bsuid"
    ciphertext = await scalar(wa_app, "select phone_ciphertext from users where id = %s", user.id)
    assert NEW_NUMBER.encode() not in bytes(ciphertext)  # encrypted at rest

    [reply] = await answered(wa_app, graph, text_webhook("sigo aquí", wa_id=NEW_NUMBER,
                                                         user_id="ES.new-bsuid"))
    assert reply["to"] == "+" + NEW_NUMBER
    assert [c.id for c in (await store.conversations.list_for_user(user.id)).items] == [
        conversation.id]
    assert [m.content for m in await store.messages.transcript(conversation.id)
            if m.is_from_user] == ["primera pregunta", "sigo aquí"]

    audit = await fetch_all(wa_app, "select actor_id, action, target_id, details from audit_log"
                            " where target_id = %s order by id", str(user.id))
    assert [(a["actor_id"], a["action"]) for a in audit] == [
        (None, "user.phone_change"), (None, "user.channel_identity_change")]
    assert audit[0]["details"] == {"by": "system", "channel": "whatsapp",
                                   "notice": "user_changed_number"}
    assert NEW_NUMBER not in str(audit) and WA_USER not in str(audit)


async def test_number_change_to_an_enrolled_number_is_refused_and_audited(
    no_worker_app: Any,
):
    store = no_worker_app.runtime.store
    ana = await enroll(no_worker_app)
    other = await enroll(no_worker_app, NEW_NUMBER, "Bruno")
    change = event_webhook("system", {"type": "user_changed_number", "wa_id": NEW_NUMBER},
                           wa_id=WA_USER, contacts=[])
    assert (await post_webhook(no_worker_app, change)).status_code == 200
    assert (await store.users.get_by_phone("+" + WA_USER)).id == ana.id
    assert (await store.users.get_by_phone("+" + NEW_NUMBER)).id == other.id
    assert await scalar(no_worker_app, "select action from audit_log where target_id = %s",
                        str(ana.id)) == "user.phone_change_refused"


async def test_system_notices_update_ids_and_send_nothing(wa_app: Any, graph: FakeGraphServer):
    store = wa_app.runtime.store
    user = await enroll(wa_app)
    await store.users.set_channel_identity(user.id, "whatsapp", "ES.before")
    notices = [
        {"type": "user_changed_user_id", "wa_id": WA_USER, "user_id": "ES.after",
         "previous_user_id": "ES.before", "body": "User Ana changed from ES.before to ES.after"},
        {"type": "customer_identity_changed", "body": "User identity changed"},
        {"type": "something_meta_adds_next_year", "body": "?"},
    ]
    for notice in notices:
        await answered(wa_app, graph, event_webhook("system", notice, wa_id=WA_USER,
                                                    contacts=[]), count=0)
    assert await store.users.channel_identity(user.id, "whatsapp") == "ES.after"
    assert await scalar(wa_app, "select count(*) from messages") == 0
    actions = await fetch_all(wa_app, "select action from audit_log where target_id = %s"
                              " order by id", str(user.id))
    assert [a["action"] for a in actions] == ["user.channel_identity_change",
                                              "user.identity_key_change"]
    # A BSUID-only notice finds its participant by the previous id.
    await answered(wa_app, graph, event_webhook("system", {
        "type": "user_changed_user_id", "user_id": "ES.third", "previous_user_id": "ES.after",
    }, wa_id=None, contacts=[]), count=0)
    assert await store.users.channel_identity(user.id, "whatsapp") == "ES.third"


# --- request_welcome -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "en"])
async def test_request_welcome_greets_an_enrolled_participant(
    wa_app: Any, graph: FakeGraphServer, language: str,
):
    user = await enroll(wa_app, preferred_language=language)
    welcome = event_webhook("request_welcome", None, wa_id=WA_USER)
    [sent] = await answered(wa_app, graph, welcome)
    body = sent["text"]["body"]
    assert body == to_whatsapp(welcome_text("Ana María", language))
    if language == "es":
        assert body.startswith("Hola Ana 👋") and "*nuevo*" in body and "marketing" in body
    else:
        assert body.startswith("Hi Ana 👋") and "*new*" in body and "marketing" in body
    assert sent["to"] == "+" + WA_USER
    # Shown in the transcript as Ignacio's message, delivered.
    [conversation] = (await wa_app.runtime.store.conversations.list_for_user(user.id)).items
    [stored] = await wa_app.runtime.store.messages.transcript(conversation.id)
    assert not stored.is_from_user and stored.status.value == "sent"
    # Replayed (or the chat reopened the same day): not greeted twice.
    await answered(wa_app, graph, welcome, count=0)
    await answered(wa_app, graph, event_webhook("request_welcome", None, wa_id=WA_USER), count=0)


async def test_request_welcome_from_a_stranger_gets_the_not_enrolled_reply_once(
    wa_app: Any, graph: FakeGraphServer,
):
    [sent] = await answered(wa_app, graph, event_webhook("request_welcome", None,
                                                         wa_id="34699000999"))
    assert sent["text"]["body"] == NOT_ENROLLED
    await answered(wa_app, graph, event_webhook("request_welcome", None, wa_id="34699000999"),
                   count=0)
    await answered(wa_app, graph, text_webhook("hola", wa_id="34699000999"), count=0)


# --- revoke and edit -------------------------------------------------------------------------


async def test_revoke_hides_the_message_and_cancels_its_unsent_answer(
    wa_app: Any, graph: FakeGraphServer,
):
    store = wa_app.runtime.store
    user = await enroll(wa_app)
    log = TurnLog()
    use_model(wa_app, advisor_model(lambda text: f"Sobre: {text}", delay=1.5, log=log))
    await answered(wa_app, graph, text_webhook("primera", wa_id=WA_USER))

    regret = text_webhook("mi contraseña es 1234", wa_id=WA_USER)
    assert (await post_webhook(wa_app, regret)).status_code == 200

    async def composing() -> bool:  # "read, typing…" goes out just before the model runs
        return any(r.get("message_id") == wamid_of(regret) for r in graph.read_receipts())

    await wait_until(composing, timeout=30, what="the answer being composed")
    revoke = event_webhook("revoke", {"original_message_id": wamid_of(regret)}, wa_id=WA_USER)
    assert (await post_webhook(wa_app, revoke)).status_code == 200
    await wait_for_idle_queue(wa_app, timeout=30)
    assert [m["text"]["body"] for m in sent_texts(graph)] == ["Sobre: primera"]

    deleted = await store.messages.get_by_external_id(wamid_of(regret))
    assert deleted is not None and deleted.deleted_at is not None  # kept for the audit
    cancelled = await store.messages.reply_for(deleted.id)
    assert (cancelled.status.value, cancelled.error_code) == ("failed", "cancelled")

    # The model no longer sees that turn.
    [answer] = await answered(wa_app, graph, text_webhook("¿y ahora?", wa_id=WA_USER))
    history = await store.messages.model_history_within(deleted.conversation_id, 100_000)
    assert "contraseña" not in str(history) and "primera" in str(history)
    assert answer["text"]["body"] == "Sobre: ¿y ahora?"

    # The participant's own view leaves it out; the admin transcript flags it.
    conversation_id = deleted.conversation_id
    mine = await wa_app.get(f"/conversations/{conversation_id}/messages",
                            headers=await participant_headers(wa_app, user))
    assert mine.status_code == 200
    assert "contraseña" not in mine.text and "primera" in mine.text
    transcript = await wa_app.get(f"/admin/conversations/{conversation_id}",
                                  headers=await admin_headers(wa_app))
    assert transcript.status_code == 200, transcript.text
    [flagged] = [m for m in transcript.json()["messages"] if m["content"] == "mi contraseña es 1234"]
    assert flagged["origin"]["deleted_at"] is not None


async def test_revoke_before_the_answer_runs_sends_nothing(no_worker_app: Any):
    await enroll(no_worker_app)
    store = no_worker_app.runtime.store
    message = text_webhook("borra esto", wa_id=WA_USER)
    await post_webhook(no_worker_app, message)
    revoke = event_webhook("revoke", {"original_message_id": wamid_of(message)}, wa_id=WA_USER)
    for _ in range(2):
        assert (await post_webhook(no_worker_app, revoke)).status_code == 200
    stored = await store.messages.get_by_external_id(wamid_of(message))
    assert stored.deleted_at is not None
    # The queued job finds it deleted: nothing composed, nothing sent.
    from channels.whatsapp.channel import whatsapp_of
    from ignacio_agents.answering import answer_stored

    async def never(_: Any) -> Any:
        raise AssertionError("a deleted message must not be answered")

    channel = whatsapp_of(no_worker_app.runtime)
    assert await answer_stored(no_worker_app.runtime, channel, stored.id, "+" + WA_USER,
                               never) is None
    # A revoke of someone else's (or an unknown) message changes nothing.
    stranger = event_webhook("revoke", {"original_message_id": wamid_of(message)},
                             wa_id="34699000999")
    assert (await post_webhook(no_worker_app, stranger)).status_code == 200


async def test_edit_stores_a_revision_and_the_turn_uses_the_latest_words(
    no_worker_app: Any, graph: FakeGraphServer,
):
    app = no_worker_app
    store = app.runtime.store
    await enroll(app)
    log = TurnLog()
    use_model(app, advisor_model(lambda text: f"Sobre: {text}", log=log))
    message = text_webhook("precio de 10 €", wa_id=WA_USER)
    await post_webhook(app, message)
    edit = event_webhook("edit", {"original_message_id": wamid_of(message), "message": {
        "type": "text", "text": {"body": "precio de 12 €"}}}, wa_id=WA_USER)
    for _ in range(2):  # a replayed edit is no second revision
        assert (await post_webhook(app, edit)).status_code == 200

    edited = await store.messages.get_by_external_id(wamid_of(message))
    assert edited.content == "precio de 12 €" and edited.edited_at is not None
    assert await store.messages.revisions(edited.id) == ["precio de 10 €"]

    # The answer, still queued, is composed from the latest words; the edit queued nothing.
    await run_queued_jobs(app)
    assert [text for text, _, _ in log.calls] == ["precio de 12 €"]
    assert [m["text"]["body"] for m in sent_texts(graph)] == ["Sobre: precio de 12 €"]


async def run_queued_jobs(app: Any) -> None:
    """Run the queued jobs with a worker of this test's own, until none is left."""
    from ignacio_agents.jobs import worker_options

    runtime = app.runtime
    await runtime.jobs.run_worker_async(**worker_options(runtime, wait=False))


# --- richer inbound --------------------------------------------------------------------------


async def test_a_reply_carries_the_message_it_quotes_into_the_turn(
    wa_app: Any, graph: FakeGraphServer,
):
    store = wa_app.runtime.store
    await enroll(wa_app)
    log = TurnLog()
    use_model(wa_app, advisor_model(lambda text: "Opción A: web. Opción B: tienda.", log=log))
    await answered(wa_app, graph, text_webhook("¿dónde vendo?", wa_id=WA_USER))
    [our] = [r.response["messages"][0]["id"] for r in graph.requests
             if r.method == "POST" and isinstance(r.json, dict) and r.json.get("type") == "text"]
    reply = text_webhook("sí, esa", wa_id=WA_USER, context_id=our)
    await answered(wa_app, graph, reply)
    assert log.calls[-1][0] == (
        "[En respuesta a tu mensaje: «Opción A: web. Opción B: tienda.»]\nsí, esa")
    stored = await store.messages.get_by_external_id(wamid_of(reply))
    assert stored.content == "sí, esa" and stored.quoted_id is not None

    # A quote of something we never stored gets a stand-in, not silence.
    unknown = text_webhook("¿y esto?", wa_id=WA_USER, context_id="wamid.from-last-year")
    await answered(wa_app, graph, unknown)
    assert log.calls[-1][0] == f"{quote_line(None)}\n¿y esto?"


async def test_flow_referral_forwarded_and_original_type_are_kept(
    wa_app: Any, graph: FakeGraphServer,
):
    store = wa_app.runtime.store
    user = await enroll(wa_app)
    log = TurnLog()
    use_model(wa_app, advisor_model(lambda text: "Gracias.", log=log))
    flow = webhook_payload([message_item("interactive", {"type": "nfm_reply", "nfm_reply": {
        "name": "flow", "body": "Sent",
        "response_json": '{"flow_token": "AQAAAAACS5F", "stage": "idea", "team_size": "3",'
                         ' "needs": ["marketing", "funding"]}'}}, wa_id=WA_USER)])
    await answered(wa_app, graph, flow)
    text = log.calls[-1][0]
    assert "Stage: idea" in text and "Team size: 3" in text and "marketing, funding" in text
    assert "AQAAAAACS5F" not in text

    ad = text_webhook("Vi su anuncio", wa_id=WA_USER)
    item = ad["entry"][0]["changes"][0]["value"]["messages"][0]
    item["referral"] = {"source_url": "https://fb.me/ad", "source_type": "ad",
                        "headline": "Programa 2027", "ctwa_clid": "ARAkLk"}
    item["context"] = {"forwarded": True}
    await answered(wa_app, graph, ad)

    sticker_id = "sticker-1"
    from tests.filegen import make_webp

    digest = graph.add_media(sticker_id, make_webp(), "image/webp")
    sticker = webhook_payload([message_item("sticker", {
        "id": sticker_id, "mime_type": "image/webp", "sha256": digest, "animated": False,
    }, wa_id=WA_USER)])
    await answered(wa_app, graph, sticker)

    [conversation] = (await store.conversations.list_for_user(user.id)).items
    transcript = await wa_app.get(f"/admin/conversations/{conversation.id}",
                                  headers=await admin_headers(wa_app))
    assert transcript.status_code == 200, transcript.text
    inbound = [m for m in transcript.json()["messages"] if m["role"] == "user"]
    assert [m["origin"]["source_type"] for m in inbound] == ["interactive", "text", "sticker"]
    flow_in, ad_in, _ = inbound
    assert flow_in["origin"]["flow_response"] == {"stage": "idea", "team_size": "3",
                                                  "needs": ["marketing", "funding"]}
    assert flow_in["content"].startswith("📝")
    assert ad_in["origin"]["forwarded"] is True
    assert ad_in["origin"]["referral"]["headline"] == "Programa 2027"


async def test_a_type_meta_has_not_named_yet_is_kept_whatever_its_name_length(
        wa_app: Any, graph: FakeGraphServer) -> None:
    """An unknown type is stored and answered like any unsupported one; its name is kept for the
    transcript, cut to the column's width rather than losing the message to "value too long"."""
    user = await enroll(wa_app)
    kind = "interactive_collaborative_checklist_update_v2"  # 45 characters
    payload = webhook_payload([message_item(kind, {"items": []}, wa_id=WA_USER)])
    [reply] = await answered(wa_app, graph, payload)
    assert reply["text"]["body"] == reply_text("unsupported_message", "es")

    [conversation] = (await wa_app.runtime.store.conversations.list_for_user(user.id)).items
    transcript = await wa_app.get(f"/admin/conversations/{conversation.id}",
                                  headers=await admin_headers(wa_app))
    [inbound] = [m for m in transcript.json()["messages"] if m["role"] == "user"]
    assert inbound["origin"]["source_type"] == kind[:SOURCE_TYPE_CHARS]
