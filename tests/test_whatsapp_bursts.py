"""Bursts and backlogs: messages of one participant that arrive close together are answered
once, together, and a backlog replayed after an outage gets one answer per participant (to
the newest message, with an apology) instead of one per message. The real app, a real worker,
the fake Graph API on loopback."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.whatsapp.render import LATE_APOLOGY
from tests.fakes.graph import FakeGraphServer, batch_webhook, text_item, webhook_payload
from tests.whatsapp_harness import (
    WORKER,
    TurnLog,
    advisor_model,
    fetch_all,
    post_webhook,
    sent_texts,
    use_model,
    wait_for_idle_queue,
    whatsapp_settings,
)

ANA, LUIS, EVA = "34612000011", "34612000012", "34612000013"


async def start(make_client: Any, make_settings: Any, graph: FakeGraphServer,
                log: TurnLog, **whatsapp: Any) -> Any:
    app = await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph, **whatsapp))
    use_model(app, advisor_model(lambda text: "re: " + " | ".join(text.split("\n\n")), log=log))
    return app


async def test_three_messages_a_second_apart_get_one_answer_to_all_three(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    log = TurnLog()
    # Quiet long enough that a loaded CI machine posting the next message late still makes one burst.
    app = await start(make_client, make_settings, graph, log, quiet_period_seconds=4.0)
    await app.runtime.store.users.create("+" + ANA, "Ana")
    texts = ["hola", "tengo una duda", "¿cómo valido mi idea?"]
    payloads = [webhook_payload([text_item(t, wa_id=ANA)]) for t in texts]
    for i, payload in enumerate(payloads):
        if i:
            await asyncio.sleep(1.0)
        assert (await post_webhook(app, payload)).status_code == 200

    [reply] = await graph.wait_for_messages_async(1, timeout=20)
    await wait_for_idle_queue(app, timeout=20)
    assert [text for text, _, _ in log.calls] == ["\n\n".join(texts)]  # one model turn, all three
    assert reply["text"]["body"] == "re: " + " | ".join(texts)
    newest = payloads[-1]["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert reply["context"] == {"message_id": newest}  # quotes the last one
    receipts = {r["message_id"] for r in graph.read_receipts()}
    assert receipts == {p["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
                        for p in payloads}
    rows = await fetch_all(app, "select is_from_user, content from messages order by created_at")
    assert [r["is_from_user"] for r in rows] == [True, True, True, False]  # each kept as sent

    for payload in payloads:  # Meta redelivers: nothing is answered again
        await post_webhook(app, payload)
    await wait_for_idle_queue(app)
    assert len(graph.sent_messages()) == 1


async def test_a_lone_text_is_answered_when_its_quiet_period_ends_by_one_run_of_its_job(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, caplog: Any,
):
    """Its job is queued to start when the quiet period ends: it does not start at once only
    to be put back until then (a second fetch, run and retry for every text)."""
    log = TurnLog()
    app = await start(make_client, make_settings, graph, log, quiet_period_seconds=1.5)
    await app.runtime.store.users.create("+" + ANA, "Ana")
    caplog.set_level(logging.INFO, logger="procrastinate")
    posted = time.monotonic()
    assert (await post_webhook(app, webhook_payload([text_item("hola", wa_id=ANA)]))).status_code == 200
    [job] = await fetch_all(
        app, "select extract(epoch from j.scheduled_at - m.created_at)::float8 as wait"
        " from procrastinate_jobs j join messages m on m.id = (j.args->>'message_id')::uuid"
        " where j.task_name = 'whatsapp:answer_message'")
    assert 1.2 < job["wait"] <= 1.5

    [reply] = await graph.wait_for_messages_async(1, timeout=20)
    assert time.monotonic() - posted >= 1.2
    assert reply["text"]["body"] == "re: hola"
    await wait_for_idle_queue(app)
    answer_runs = [r.__dict__.get("action") for r in caplog.records
                   if r.__dict__.get("job", {}).get("task_name") == "whatsapp:answer_message"]
    assert answer_runs.count("start_job") == 1
    assert "job_error_retry" not in answer_runs


async def test_a_two_hour_old_backlog_gets_one_apologising_answer_per_participant(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    log = TurnLog()
    # Quiet for longer than storing the whole delivery can take on a loaded machine.
    app = await start(make_client, make_settings, graph, log, quiet_period_seconds=2.0)
    people = {ANA: "Ana", LUIS: "Luis", EVA: "Eva"}
    for wa_id, name in people.items():
        await app.runtime.store.users.create("+" + wa_id, name)
    two_hours_ago = int(time.time()) - 2 * 3600
    backlog = {wa_id: [f"{name} {i}" for i in range(1, 4)] for wa_id, name in people.items()}
    items = {wa_id: [text_item(t, wa_id=wa_id, timestamp=two_hours_ago + i)
                     for i, t in enumerate(texts)] for wa_id, texts in backlog.items()}
    # Meta redelivers the outage's messages in one batch, interleaved by time.
    delivery = batch_webhook(*[webhook_payload([items[w][i]], profile_name=people[w])
                               for i in range(3) for w in people])
    assert (await post_webhook(app, delivery)).status_code == 200

    await graph.wait_for_messages_async(3, timeout=30)
    await wait_for_idle_queue(app, timeout=30)
    for wa_id, texts in backlog.items():
        [answer] = sent_texts(graph, to=wa_id)  # exactly one each
        apology, body = answer["text"]["body"].split("\n\n", 1)
        assert apology == LATE_APOLOGY["es"]
        assert body == "re: " + " | ".join(texts)  # the older ones reached the model as context
        assert answer["context"] == {"message_id": items[wa_id][-1]["id"]}  # to the newest
    receipts = {r["message_id"] for r in graph.read_receipts()}
    assert receipts == {item["id"] for wa_items in items.values() for item in wa_items}
    rows = await fetch_all(app, "select count(*) filter (where is_from_user) as inbound,"
                           " count(*) filter (where not is_from_user) as answers from messages")
    assert rows == [{"inbound": 9, "answers": 3}]

    assert (await post_webhook(app, delivery)).status_code == 200  # replayed again
    await wait_for_idle_queue(app)
    assert len(graph.sent_messages()) == 3
