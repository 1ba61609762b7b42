"""The consent notice: on a participant's first WhatsApp message it arrives once, as its own
message before the first answer, in their language, and is recorded with its time; on the web
the app learns it is not yet acknowledged and acknowledging records the time, once. The
records are in the data export and go with the participant."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ignacio_agents.consent import DEFAULT_NOTICES, notice_text
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    fetch_all,
    post_webhook,
    sent_texts,
    wait_for_idle_queue,
    whatsapp_settings,
)

CUSTOM_EN = "We keep your messages. Download them from your profile; ask an admin to delete them."


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    settings = make_settings(**WORKER, consent_notice_enabled=True, consent_notice_en=CUSTOM_EN)
    return await make_client(settings, whatsapp=whatsapp_settings(graph))


async def test_the_first_whatsapp_message_gets_the_notice_once_before_the_answer(
        wa_app: Any, graph: FakeGraphServer):
    store = wa_app.runtime.store
    ana = await store.users.create("+" + WA_USER, "Ana")
    before = datetime.now(UTC)
    assert (await post_webhook(wa_app, text_webhook("Hola, tengo una idea", wa_id=WA_USER))
            ).status_code == 200
    await graph.wait_for_messages_async(2)
    await wait_for_idle_queue(wa_app)
    notice, answer = sent_texts(graph)
    assert notice["text"]["body"] == DEFAULT_NOTICES["es"]  # Spanish: her language
    assert "context" not in notice and "context" in answer  # the answer quotes her message
    consent = await store.consents.get(ana.id, "whatsapp")
    assert consent is not None and consent.language == "es"
    assert consent.notice == DEFAULT_NOTICES["es"] and consent.acknowledged_at is None
    assert before <= consent.shown_at <= datetime.now(UTC)
    rows = await fetch_all(wa_app, "select id, is_from_user, source_type, status from messages"
                           " order by created_at, is_from_user desc")
    stored_notice = next(r for r in rows if r["source_type"] == "consent")
    assert consent.message_id == stored_notice["id"] and stored_notice["status"] == "sent"

    # The second message gets an answer only.
    assert (await post_webhook(wa_app, text_webhook("¿Por dónde empiezo?", wa_id=WA_USER))
            ).status_code == 200
    await graph.wait_for_messages_async(3)
    await wait_for_idle_queue(wa_app)
    texts = [m["text"]["body"] for m in sent_texts(graph)]
    assert len(texts) == 3 and texts.count(DEFAULT_NOTICES["es"]) == 1
    assert await fetch_all(wa_app, "select count(*) as n from consents") == [{"n": 1}]


async def test_the_notice_is_in_the_participants_language_as_configured(
        wa_app: Any, graph: FakeGraphServer):
    store = wa_app.runtime.store
    sam = await store.users.create("+" + WA_USER, "Sam", preferred_language="en")
    await post_webhook(wa_app, text_webhook("Hi, I have an idea", wa_id=WA_USER))
    await graph.wait_for_messages_async(2)
    await wait_for_idle_queue(wa_app)
    assert sent_texts(graph)[0]["text"]["body"] == CUSTOM_EN
    consent = await store.consents.get(sam.id, "whatsapp")
    assert consent is not None and (consent.language, consent.notice) == ("en", CUSTOM_EN)


async def test_a_failed_notice_send_is_retried_and_sent_once(wa_app: Any, graph: FakeGraphServer):
    store = wa_app.runtime.store
    await store.users.create("+" + WA_USER, "Ana")
    graph.fail_next("/messages", code=130429, http_status=400, times=1)  # rate limited once
    await post_webhook(wa_app, text_webhook("Hola", wa_id=WA_USER))
    await graph.wait_for_messages_async(2)
    await wait_for_idle_queue(wa_app)
    texts = [m["text"]["body"] for m in sent_texts(graph)]
    assert texts[0] == DEFAULT_NOTICES["es"] and texts.count(DEFAULT_NOTICES["es"]) == 1
    assert len(texts) == 2


async def test_the_web_says_not_yet_and_acknowledging_records_the_time_once(
        make_client: Any, make_settings: Any, make_user: Any, auth_headers: Any):
    client = await make_client(make_settings(consent_notice_enabled=True))
    store = client.runtime.store
    ana = await store.users.create("+34611000001", "Ana")
    headers = await auth_headers(ana)
    first = await client.get("/users/me/consent", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert (body["channel"], body["show"], body["acknowledged_at"]) == ("web", True, None)
    assert body["notice"] == {"es": DEFAULT_NOTICES["es"], "en": DEFAULT_NOTICES["en"]}

    ack = await client.post("/users/me/consent", headers=headers, json={"language": "en"})
    assert ack.status_code == 200
    acked = ack.json()
    assert acked["show"] is False and acked["language"] == "en"
    at = datetime.fromisoformat(acked["acknowledged_at"])
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)
    consent = await store.consents.get(ana.id, "web")
    assert consent is not None and consent.notice == DEFAULT_NOTICES["en"]

    again = await client.post("/users/me/consent", headers=headers, json={"language": "es"})
    assert again.json()["acknowledged_at"] == acked["acknowledged_at"]  # the first record stands
    assert (await client.get("/users/me/consent", headers=headers)).json()["show"] is False

    bad = await client.post("/users/me/consent", headers=headers, json={"language": "fr"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert (await client.get("/users/me/consent")).status_code == 401


async def test_turned_off_nothing_is_shown_or_sent(client: Any, make_user: Any, auth_headers: Any):
    ana = await make_user("Ana")
    body = (await client.get("/users/me/consent", headers=await auth_headers(ana))).json()
    assert body["show"] is False and body["acknowledged_at"] is None
    assert notice_text(client.runtime.settings, "de") == DEFAULT_NOTICES["es"]  # unknown: Spanish


async def test_the_export_holds_the_consent_records(make_client: Any, make_settings: Any,
                                                    make_user: Any, auth_headers: Any):
    client = await make_client(make_settings(consent_notice_enabled=True))
    ana = await client.runtime.store.users.create("+34611000002", "Ana")
    headers = await auth_headers(ana)
    await client.post("/users/me/consent", headers=headers, json={"language": "es"})
    archive = zipfile.ZipFile(io.BytesIO((await client.get("/users/me/export",
                                                           headers=headers)).content))
    [record] = json.loads(archive.read("export.json"))["consent_notices"]
    assert (record["channel"], record["language"], record["notice"]) == (
        "web", "es", DEFAULT_NOTICES["es"])
    assert record["acknowledged_at"] is not None
