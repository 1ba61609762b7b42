"""Durable WhatsApp sending: rate limits and outages re-queue the answer job with back-off,
the 24-hour window holds an answer behind the "answer waiting" template, and nothing is lost
or sent twice. The real app on a fresh Postgres, a real worker, our Graph client talking HTTP
to the fake Graph API (which answers with Meta's error bodies)."""

from __future__ import annotations

from typing import Any

import pytest

from channels.whatsapp.errors import GRAPH_ERRORS, explain_graph_error
from ignacio_agents.channel import DeliveryErrorReason
from ignacio_agents.delivery import retry_delay
from tests.fakes.graph import FakeGraphServer, status_webhook, text_webhook
from tests.whatsapp_harness import (
    WA_USER,
    WA_USER_2,
    WORKER,
    advisor_model,
    fetch_all,
    post_webhook,
    sent_texts,
    text_attempts,
    use_model,
    wait_for_idle_queue,
    wait_until,
    whatsapp_settings,
)

WAITING = {"name": "ignacio_answer_waiting", "language": {"code": "es"}}


async def start(make_client: Any, make_settings: Any, graph: FakeGraphServer,
                **whatsapp: Any) -> Any:
    app = await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph, **whatsapp))
    use_model(app, advisor_model(lambda text: f"re: {text}"))
    return app


async def enroll(app: Any, wa_id: str, name: str) -> Any:
    return await app.runtime.store.users.create("+" + wa_id, name)


def wamid_of(payload: dict[str, Any]) -> str:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


def templates(graph: FakeGraphServer) -> list[dict[str, Any]]:
    return [m for m in graph.sent_messages() if m["type"] == "template"]


async def answers(app: Any) -> list[dict[str, Any]]:
    return await fetch_all(app, "select id, status, error_code, held_at, reply_to_id"
                           " from messages where not is_from_user order by created_at")


async def signed_in(app: Any, user: Any) -> dict[str, str]:
    from datetime import timedelta

    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    session = await app.runtime.store.sessions.create(user.id, new_token(), timedelta(days=1))
    token = issue_access_token(app.runtime.settings, user.id, session.id, user.is_admin)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("code", "http_status"), [(130429, 400), (None, 503)],
                         ids=["throughput-130429", "bare-503"])
async def test_outage_then_recovery_delivers_every_answer_once_in_order(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, code: int | None,
    http_status: int,
):
    app = await start(make_client, make_settings, graph)
    await enroll(app, WA_USER, "Ana")
    await enroll(app, WA_USER_2, "Luis")
    graph.fail_next("/messages", code=code, http_status=http_status, times=10**6)  # the outage
    questions = {WA_USER: ["ana 1", "ana 2"], WA_USER_2: ["luis 1", "luis 2"]}

    def tried(times: int) -> Any:
        async def check() -> bool:  # every participant's first answer was tried this often
            refused = [a.json["to"] for a in text_attempts(graph) if not a.ok]
            return all(refused.count("+" + wa_id) >= times for wa_id in questions)
        return check

    for round_ in range(2):
        for wa_id, texts in questions.items():
            assert (await post_webhook(app, text_webhook(texts[round_], wa_id=wa_id))
                    ).status_code == 200
        if round_ == 0:  # answered on its own: a second text arriving before the first turn
            # started would be answered with it, in one reply (by design, see jobs._takes_turn)
            await wait_until(tried(1), timeout=30, what="first answers tried")

    await wait_until(tried(3), timeout=30, what="answers retried during the outage")
    assert graph.sent_messages() == []
    assert all(a["status"] != "failed" for a in await answers(app))  # nothing given up on
    graph.recover()

    await graph.wait_for_messages_async(4, timeout=30)
    await wait_for_idle_queue(app, timeout=30)
    for wa_id, texts in questions.items():
        assert [m["text"]["body"] for m in sent_texts(graph, to=wa_id)] == [
            f"re: {t}" for t in texts]  # once each, in order
    assert [a["status"] for a in await answers(app)] == ["sent"] * 4
    refused = [a for a in text_attempts(graph) if not a.ok]
    if code is not None:  # Meta's own error body reached our client
        assert refused[0].response["error"]["code"] == code
        assert "throughput" in refused[0].response["error"]["error_data"]["details"]


async def test_closed_window_sends_the_template_and_the_answer_follows_the_next_message(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await start(make_client, make_settings, graph)
    await enroll(app, WA_USER, "Ana")
    graph.close_window(WA_USER)  # more than 24 h: Graph answers 131047 to anything but templates
    first = text_webhook("pregunta uno", wa_id=WA_USER)
    await post_webhook(app, first)
    await wait_until(lambda: _has_template(graph), timeout=15, what="answer-waiting template")
    await wait_for_idle_queue(app)
    [template] = templates(graph)
    assert template["template"] == WAITING and template["to"] == "+" + WA_USER
    [held] = await answers(app)
    assert held["held_at"] is not None and held["status"] == "pending"
    assert held["error_code"] == "131047"
    [conversation] = await fetch_all(app, "select id from conversations")
    admin = await app.runtime.store.users.create("+34600000999", "Admin", is_admin=True)
    transcript = (await app.get(f"/admin/conversations/{conversation['id']}",
                                headers=await signed_in(app, admin))).json()
    assert transcript["messages"][-1]["delivery_error"] == {
        "code": "131047", "title": "Re-engagement message", "reason": "window_closed"}

    graph.open_window(WA_USER)  # the participant writes again
    second = text_webhook("pregunta dos", wa_id=WA_USER)
    await post_webhook(app, second)
    await graph.wait_for_messages_async(3, timeout=15)
    await wait_for_idle_queue(app)
    texts = sent_texts(graph)
    assert [m["text"]["body"] for m in texts] == ["re: pregunta uno", "re: pregunta dos"]
    assert [m["context"]["message_id"] for m in texts] == [wamid_of(first), wamid_of(second)]
    assert [(a["held_at"], a["status"]) for a in await answers(app)] == [(None, "sent")] * 2
    assert len(templates(graph)) == 1


async def _has_template(graph: FakeGraphServer) -> bool:
    return bool(templates(graph))


async def test_a_retry_that_would_land_outside_the_window_holds_the_answer(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    # A window shorter than the safety margin: the first retryable failure cannot wait.
    app = await start(make_client, make_settings, graph, reply_window_seconds=30)
    await enroll(app, WA_USER, "Ana")
    graph.fail_next("/messages", code=131056, times=2)  # the read receipt, then the answer
    await post_webhook(app, text_webhook("hola", wa_id=WA_USER))
    await wait_until(lambda: _has_template(graph), timeout=15, what="answer-waiting template")
    await wait_for_idle_queue(app)
    assert sent_texts(graph) == []
    [held] = await answers(app)
    assert held["held_at"] is not None and held["error_code"] == "131056"


async def test_re_engagement_reported_by_a_status_webhook_holds_and_resends(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await start(make_client, make_settings, graph)
    await enroll(app, WA_USER, "Ana")
    await post_webhook(app, text_webhook("uno", wa_id=WA_USER))
    [accepted] = await graph.wait_for_messages_async(1)
    await wait_for_idle_queue(app)
    sent_wamid = next(r for r in graph.requests if r.json == accepted).response["messages"][0]["id"]
    # Accepted, then refused: Meta reports 131047 in a failed status (twice: a replay).
    failed = status_webhook(sent_wamid, "failed", recipient_id=WA_USER, error_code=131047)
    for _ in range(2):
        assert (await post_webhook(app, failed)).status_code == 200
    await wait_until(lambda: _has_template(graph), timeout=15, what="answer-waiting template")
    await wait_for_idle_queue(app)
    assert len(templates(graph)) == 1
    [held] = await answers(app)
    assert held["held_at"] is not None

    await post_webhook(app, text_webhook("dos", wa_id=WA_USER))
    await graph.wait_for_messages_async(4, timeout=15)
    await wait_for_idle_queue(app)
    assert [m["text"]["body"] for m in sent_texts(graph)] == ["re: uno", "re: uno", "re: dos"]
    assert [a["status"] for a in await answers(app)] == ["sent", "sent"]


async def test_a_permanent_error_fails_once_and_the_transcript_says_what_it_means(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await start(make_client, make_settings, graph)
    ana = await enroll(app, WA_USER, "Ana")
    graph.fail_next("/messages", code=131026, times=2)  # the read receipt, then the answer
    await post_webhook(app, text_webhook("hola", wa_id=WA_USER))
    await wait_until(lambda: _answer_failed(app), timeout=15, what="failed answer")
    await wait_for_idle_queue(app)
    assert len(text_attempts(graph)) == 1 and templates(graph) == []
    [failed] = await answers(app)
    assert (failed["status"], failed["error_code"], failed["held_at"]) == ("failed", "131026",
                                                                          None)

    [conversation] = await fetch_all(app, "select id from conversations where user_id = %s",
                                     ana.id)
    admin = await app.runtime.store.users.create("+34600000999", "Admin", is_admin=True)
    response = await app.get(f"/admin/conversations/{conversation['id']}",
                             headers=await signed_in(app, admin))
    assert response.status_code == 200
    question, answer = response.json()["messages"]
    assert question["delivery_error"] is None
    assert answer["status"] == "failed"
    assert answer["delivery_error"] == {"code": "131026", "title": "Message Undeliverable",
                                        "reason": "undeliverable"}
    assert answer["deliveries"][0]["error_code"] == "131026"
    own = await app.get(f"/conversations/{conversation['id']}/messages",
                        headers=await signed_in(app, ana))  # the participant's web view
    assert [m["delivery_error"] for m in own.json()["items"]] == [  # newest first
        answer["delivery_error"], None]


async def _answer_failed(app: Any) -> bool:
    return any(a["status"] == "failed" for a in await answers(app))


def test_back_off_grows_by_four_with_jitter_up_to_the_cap() -> None:
    low = [retry_delay(n, base=4, cap=900, jitter=lambda: 0.0) for n in range(6)]
    high = [retry_delay(n, base=4, cap=900, jitter=lambda: 0.999) for n in range(6)]
    assert low == [2, 8, 32, 128, 450, 450]
    assert all(a < b <= c for a, b, c in zip(low, high, [4, 16, 64, 256, 900, 900], strict=True))
    assert retry_delay(0, base=4, cap=900, floor=6, jitter=lambda: 0.0) == 6  # pair limit
    assert retry_delay(10_000, base=4, cap=900, jitter=lambda: 0.0) == 450  # no overflow


def test_graph_codes_have_meanings_for_the_transcript() -> None:
    documented = ["130429", "131026", "131047", "131051", "131056", "131000", "131005",
                  "131008", "131009", "131021", "131031", "132000", "132001", "132015",
                  "132016", "133010", "470", "368", "190"]
    for code in documented:
        explained = explain_graph_error(code)
        assert explained.title and explained.reason is not DeliveryErrorReason.unknown, code
    assert explain_graph_error("131047").reason is DeliveryErrorReason.window_closed
    assert explain_graph_error("470").reason is DeliveryErrorReason.window_closed
    assert explain_graph_error("131056").reason is DeliveryErrorReason.recipient_rate_limited
    assert explain_graph_error("132016").reason is DeliveryErrorReason.template_unavailable
    assert explain_graph_error("http_503").reason is DeliveryErrorReason.service_error
    assert "503" in (explain_graph_error("http_503").title or "")
    assert explain_graph_error("http_429").reason is DeliveryErrorReason.rate_limited
    assert explain_graph_error("timeout").reason is DeliveryErrorReason.service_error
    unknown = explain_graph_error("999999")
    assert (unknown.code, unknown.title, unknown.reason) == ("999999", None,
                                                            DeliveryErrorReason.unknown)
    assert all(code.isdigit() or code == "timeout" for code in GRAPH_ERRORS)
