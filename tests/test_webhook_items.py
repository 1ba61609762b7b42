"""One webhook delivery, many items: each is cleaned and stored on its own, so one odd item
never costs its neighbours their answer (real app, real Postgres, fake Graph on loopback)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import pytest

from channels.whatsapp.inbound import InboundHandler
from channels.whatsapp.payload import (
    MAX_DEPTH,
    NotAWebhookPayload,
    parse_webhook_items,
)
from tests.fakes.graph import FakeGraphServer, batch_webhook, text_webhook
from tests.whatsapp_harness import (
    APP_SECRET,
    WA_USER,
    WA_USER_2,
    WEBHOOK,
    WORKER,
    fetch_all,
    post_webhook,
    wait_for_idle_queue,
    whatsapp_settings,
)


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))


@pytest.fixture
async def no_worker_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**{**WORKER, "run_worker_in_process": False}),
                             whatsapp=whatsapp_settings(graph))


async def _enroll(app: Any, wa_id: str, name: str) -> Any:
    return await app.runtime.store.users.create("+" + wa_id, name)


async def _post_raw(app: Any, body: bytes) -> Any:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return await app.post(WEBHOOK, content=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})


async def test_a_nul_message_does_not_cost_another_participant_their_answer(
    wa_app: Any, graph: FakeGraphServer,
):
    await _enroll(wa_app, WA_USER, "Ana")
    await _enroll(wa_app, WA_USER_2, "Luis")
    delivery = batch_webhook(
        text_webhook("hola\x00 mundo \ud83d", wa_id=WA_USER),  # NUL and a lone surrogate
        text_webhook("¿Cómo valido mi idea?", wa_id=WA_USER_2),
    )
    response = await post_webhook(wa_app, delivery)
    assert response.status_code == 200

    await graph.wait_for_messages_async(1, to="+" + WA_USER_2)
    await wait_for_idle_queue(wa_app)
    rows = await fetch_all(wa_app, "select content from messages where is_from_user")
    assert sorted(r["content"] for r in rows) == sorted(
        ["hola mundo \ufffd", "¿Cómo valido mi idea?"])
    assert graph.sent_messages(to="+" + WA_USER_2)


async def test_an_item_the_database_refuses_is_logged_without_content_and_skipped(
    no_worker_app: Any, caplog: pytest.LogCaptureFixture,
):
    app = no_worker_app
    await _enroll(app, WA_USER, "Ana")
    await _enroll(app, WA_USER_2, "Luis")
    bad, good = parse_webhook_items(batch_webhook(
        text_webhook("secreto", wa_id=WA_USER), text_webhook("normal", wa_id=WA_USER_2)))
    # Past the parser's cleaning (as a future code path might be): Postgres refuses the NUL.
    bad = bad.model_copy(update={"text": "secreto\x00"})
    with caplog.at_level(logging.INFO):
        outcome = await InboundHandler(app.runtime).handle([bad, good])
    assert outcome.counts["failed"] == 1 and outcome.counts["stored"] == 1
    rows = await fetch_all(app, "select content from messages")
    assert [r["content"] for r in rows] == ["normal"]
    [job] = await fetch_all(app, "select args from procrastinate_jobs"
                            " where task_name = 'whatsapp:answer_message'")
    assert job["args"]["kind"] == "text"
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped and all("secreto" not in m and WA_USER not in m for m in skipped)
    assert all("secreto" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("depth", [1000, MAX_DEPTH + 1])
async def test_a_deeply_nested_body_is_a_400(no_worker_app: Any, depth: int):
    nested = b"[" * depth + b'"x"' + b"]" * depth
    body = b'{"object":"whatsapp_business_account","entry":[{"id":"1","deep":' + nested + b"}]}"
    response = await _post_raw(no_worker_app, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    bare = await _post_raw(no_worker_app, b"[" * depth + b"]" * depth)
    assert bare.status_code == 400


def test_sanitizing_cleans_keys_and_values_and_keeps_real_payloads() -> None:
    delivery = text_webhook("ok", wa_id=WA_USER)
    delivery["entry"][0]["changes"][0]["value"]["messages"][0]["x\x00y"] = ["a\x00", "\udc00"]
    [item] = parse_webhook_items(json.dumps(delivery).encode())
    assert item.raw["xy"] == ["a", "\ufffd"]
    assert item.text == "ok"
    with pytest.raises(NotAWebhookPayload):
        parse_webhook_items(b"[" * 5000 + b"]" * 5000)
