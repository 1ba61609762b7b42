"""Whole deliveries stored together: Meta batches a busy number's messages (up to 1,000 per
delivery) and resends the whole delivery when it is not acknowledged in time, so the webhook
stores a delivery's plain messages a few hundred per statement. These tests hold it to the
guarantees of storing each message on its own: each message once, its answer job with it, a
replay stores and queues nothing, one refused message does not lose its neighbours, and each
participant's burst is answered once (real app, real Postgres, fake Graph API on loopback)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import psycopg
import pytest

from tests.fakes.graph import FakeGraphServer, text_item, webhook_payload
from tests.statements import Statements
from tests.whatsapp_harness import (
    WORKER,
    advisor_model,
    fetch_all,
    post_webhook,
    sent_texts,
    use_model,
    wait_for_idle_queue,
    whatsapp_settings,
)

SENDERS = [f"346130000{i:02d}" for i in range(20)]
STRANGER = "34613999999"  # not enrolled
ANSWER = "whatsapp:answer_message"


def _settings(make_settings: Any, **overrides: Any) -> Any:
    # No consent notice: each participant's sends are then exactly their answers.
    return make_settings(**{**WORKER, "consent_notice_enabled": False, **overrides})


async def _enroll_all(app: Any) -> None:
    for i, wa_id in enumerate(SENDERS):
        await app.runtime.store.users.create("+" + wa_id, f"Participante {i}")


REFUSED_TEXT = "un texto que la base de datos rechaza"


async def _refuse_text(app: Any, text: str) -> None:
    """Make this test's database refuse one message as it refuses bad data (SQLSTATE class 22),
    by a trigger: everything a participant can send is cleaned to what Postgres stores, so a
    real payload no longer reaches this refusal."""
    async with app.runtime.db.connection() as c:
        await c.execute(f"""
            create function refuse_one_text() returns trigger language plpgsql as $$
            begin
                if new.content = '{text}' then
                    raise exception 'refused for the test' using errcode = '22023';
                end if;
                return new;
            end $$""")
        await c.execute("create trigger refuse_one_text before insert on messages"
                        " for each row execute function refuse_one_text()")


def _delivery(size: int) -> list[dict[str, Any]]:
    """``size`` text items from the enrolled senders, interleaved as Meta batches them."""
    return [text_item(f"mensaje {i}", wa_id=SENDERS[i % len(SENDERS)],
                      wamid=f"wamid.batch-{i:04d}") for i in range(size)]


async def test_a_1000_message_delivery_stores_each_once_and_answers_each_participant_once(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
    caplog: pytest.LogCaptureFixture,
):
    app = await make_client(_settings(make_settings, run_worker_in_process=False),
                            whatsapp=whatsapp_settings(graph))
    await _enroll_all(app)
    await _refuse_text(app, REFUSED_TEXT)
    items = _delivery(998)
    # The database refuses this one: it is only found out when the statement that holds it runs.
    refused = text_item(REFUSED_TEXT, wa_id=SENDERS[3], wamid="wamid.refused")
    items.insert(600, refused)
    items.insert(10, text_item("hola", wa_id=STRANGER, wamid="wamid.stranger"))
    assert len(items) == 1000

    # Meta delivered the first 300 once already (that delivery's acknowledgement was late).
    assert (await post_webhook(app, webhook_payload(items[:300]))).status_code == 200
    with caplog.at_level(logging.INFO):
        assert (await post_webhook(app, webhook_payload(items))).status_code == 200

    rows = await fetch_all(app, "select m.id, m.user_id, m.conversation_id, m.content,"
                           " m.created_at from messages m where m.is_from_user")
    assert len(rows) == 998  # every text once; neither the refused one nor the stranger's
    assert len({r["id"] for r in rows}) == 998
    assert Counter(r["content"] for r in rows) == Counter(f"mensaje {i}" for i in range(998))
    # Neighbours of the refused message (same sender, same statement) are all there, in order.
    by_user: dict[Any, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r["created_at"], r["id"])):
        by_user.setdefault(r["user_id"], []).append(r)
    assert len(by_user) == len(SENDERS)
    for theirs in by_user.values():
        numbers = [int(r["content"].split()[1]) for r in theirs]
        assert numbers == sorted(numbers), "a participant's messages keep payload order"
        assert len({r["conversation_id"] for r in theirs}) == 1

    jobs = await fetch_all(app, "select lock, queueing_lock, args from procrastinate_jobs"
                           " where task_name = %s", ANSWER)
    stored = {str(r["id"]): r for r in rows}
    assert sorted(j["args"]["message_id"] for j in jobs) == sorted(stored)  # one job each
    for job in jobs:
        message = stored[job["args"]["message_id"]]
        assert job["lock"] == f"conv:{message['conversation_id']}"
        assert job["queueing_lock"] == f"answer:{message['id']}"
        assert job["args"]["kind"] == "text" and job["args"]["late"] is False
    not_enrolled = await fetch_all(app, "select args from procrastinate_jobs"
                                   " where task_name = 'whatsapp:send_not_enrolled'")
    assert len(not_enrolled) == 1

    logs = [r.getMessage() for r in caplog.records]
    assert sum("refused by the database and skipped" in m for m in logs) == 1
    # Only the statement holding the refused message was redone one by one.
    assert sum("refused together" in m for m in logs) == 1
    assert all(REFUSED_TEXT not in m and SENDERS[3] not in m for m in logs)

    # Meta resends the whole delivery once more: nothing new is stored or queued.
    assert (await post_webhook(app, webhook_payload(items))).status_code == 200
    assert len(await fetch_all(app, "select id from messages where is_from_user")) == 998
    assert len(await fetch_all(app, "select id from procrastinate_jobs where task_name = %s",
                               ANSWER)) == 998


async def test_each_participant_of_a_1000_message_delivery_gets_one_answer(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await make_client(_settings(make_settings), whatsapp=whatsapp_settings(graph))
    use_model(app, advisor_model(lambda text: f"re: {len(text.split(chr(10) * 2))} mensajes"))
    await _enroll_all(app)
    assert (await post_webhook(app, webhook_payload(_delivery(1000)))).status_code == 200

    await graph.wait_for_messages_async(len(SENDERS), timeout=60)
    await wait_for_idle_queue(app, timeout=120)
    for wa_id in SENDERS:  # all 50 of a participant's messages were stored before any answer
        [answer] = sent_texts(graph, to="+" + wa_id)
        assert answer["text"]["body"] == "re: 50 mensajes"


@pytest.mark.parametrize("bsuid", [None, "US.13491208655302741918"])
async def test_a_single_message_is_two_statements_and_no_explicit_transaction(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, statements: Statements,
    bsuid: str | None,
):
    app = await make_client(_settings(make_settings, run_worker_in_process=False),
                            whatsapp=whatsapp_settings(graph))
    await _enroll_all(app)
    # A first message opens the participant's conversation (and keeps their BSUID, when they
    # have one); the one measured is the next.
    assert (await post_webhook(app, webhook_payload([text_item("hola", wa_id=SENDERS[0],
                                                               user_id=bsuid)]))
            ).status_code == 200

    with statements.counting():
        response = await post_webhook(app, webhook_payload([text_item("¿y ahora?",
                                                                      wa_id=SENDERS[0],
                                                                      user_id=bsuid)]))
    assert response.status_code == 200
    # Who wrote, with the BSUID kept for them and their open conversation; then the message,
    # its conversation's bump, its live event and its answer job in one statement (its own
    # transaction: one commit).
    assert len(statements.sql) == 2, statements.sql
    assert statements.transactions == []
    [job] = await fetch_all(app, "select args from procrastinate_jobs where task_name = %s"
                            " and args->>'message_id' = (select id::text from messages where"
                            " content = '¿y ahora?')", ANSWER)
    assert job["args"]["kind"] == "text"
    [first, second] = await fetch_all(app, "select conversation_id from messages"
                                      " where is_from_user order by created_at")
    assert first["conversation_id"] == second["conversation_id"]
    if bsuid is not None:
        [kept] = await fetch_all(app, "select external_user_id from channel_identities")
        assert kept["external_user_id"] == bsuid


async def test_a_question_repeated_within_one_delivery_is_flagged_on_its_third_time(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await make_client(_settings(make_settings, run_worker_in_process=False),
                            whatsapp=whatsapp_settings(graph))
    await _enroll_all(app)
    question = "¿Cómo registro mi empresa?"
    items = [text_item(question, wa_id=SENDERS[0], wamid=f"wamid.repeat-{i}") for i in range(4)]
    assert (await post_webhook(app, webhook_payload(items))).status_code == 200
    flagged = await fetch_all(app, "select m.external_id_sealed from attention_items a"
                              " join messages m on m.id = a.message_id"
                              " where a.kind = 'repeated_question'")
    assert len(flagged) == 1
    third = await app.runtime.store.messages.get_by_external_id("wamid.repeat-2")
    [item] = await fetch_all(app, "select message_id from attention_items"
                             " where kind = 'repeated_question'")
    assert third is not None and item["message_id"] == third.id


async def test_each_message_stored_together_is_announced_once_on_commit(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    import json

    from ignacio_agents.notify import CHANNEL

    app = await make_client(_settings(make_settings, run_worker_in_process=False),
                            whatsapp=whatsapp_settings(graph))
    await _enroll_all(app)
    items = _delivery(60)
    async with await psycopg.AsyncConnection.connect(app.runtime.db.conninfo,
                                                     autocommit=True) as ear:
        await ear.execute(f"listen {CHANNEL}")
        assert (await post_webhook(app, webhook_payload(items))).status_code == 200
        assert (await post_webhook(app, webhook_payload(items))).status_code == 200  # replay
        events = [json.loads(n.payload) async for n in ear.notifies(timeout=1.0)]
    created = [e for e in events if e["kind"] == "message.created"]
    rows = await fetch_all(app, "select id, user_id, conversation_id from messages")
    assert sorted(e["message_id"] for e in created) == sorted(str(r["id"]) for r in rows)
    owners = {str(r["id"]): (str(r["user_id"]), str(r["conversation_id"])) for r in rows}
    assert all((e["user_id"], e["conversation_id"]) == owners[e["message_id"]] for e in created)
    assert all(e["data"] == {"is_from_user": True, "channel": "whatsapp"} for e in created)
