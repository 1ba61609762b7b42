"""Token caps: a web turn over a cap is a 429 before anything runs, WhatsApp gets one notice a
day and the message is kept unanswered, a burst at the edge lets at most one turn through,
and an admin can lift a participant's caps."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from ignacio_agents.agents import ANSWER_TOOLS, ROUTE_TOOL
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.store.usage import LedgerLine
from ignacio_agents.usage_caps import UsageCapReached, resets_at
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.scripted_models import CANNED, scripted
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    fetch_all,
    post_webhook,
    wait_for_idle_queue,
    whatsapp_settings,
)


def spending_model() -> FunctionModel:
    """Routes to general and answers (streamed too: the web streams every turn)."""

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        if tool == ROUTE_TOOL:
            return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
                "specialist": "general", "reason": "scripted", "language": "es"})],
                usage=RequestUsage(input_tokens=120, output_tokens=15))
        await asyncio.sleep(0.05)  # long enough for a burst to overlap
        return ModelResponse(parts=[ToolCallPart(tool, CANNED[ANSWER_TOOLS[tool]])],
                             usage=RequestUsage(input_tokens=900, output_tokens=150))

    return scripted(respond, name="gpt-4o-mini")


async def ledger_tokens(store: Any, user: Any) -> int:
    return int(await store.db.fetch_value(
        "select coalesce(sum(input_tokens + output_tokens), 0) from usage_ledger"
        " where user_id = %s and model <> 'test'", user.id))


def use_spending_model(runtime: Any) -> ConversationEngine:
    model = spending_model()
    runtime.engine = ConversationEngine.from_runtime(runtime, model=model, triage_model=model)
    return runtime.engine


async def capped_cohort(store: Any, *members: Any, daily: int = 1000) -> Any:
    cohort = await store.cohorts.create(name="Capped", starts_on=date(2026, 1, 1),
                                        ends_on=date(2027, 12, 31), participant_daily_tokens=daily)
    await store.cohorts.add_members(cohort.id, [m.id for m in members])
    return cohort


async def spend(store: Any, user: Any, cohort: Any, tokens: int) -> None:
    await store.usage.add(user_id=user.id, cohort_id=cohort.id if cohort else None,
                          day=datetime.now(UTC).date(), lines=[LedgerLine(
                              purpose="answer", model="test", requests=1, input_tokens=tokens,
                              output_tokens=0, cache_read_tokens=0, cost_usd=Decimal(0),
                              price_source="configured")])


async def turn(client: Any, headers: dict[str, str], conversation_id: Any, text: str) -> Any:
    return await client.post(f"/conversations/{conversation_id}/messages", headers=headers,
                             json={"content": text})


async def test_a_web_turn_over_the_daily_cap_is_a_429_saying_when_it_resets(
        client, make_user, auth_headers):
    store = client.runtime.store
    ana = await make_user("Ana")
    cohort = await capped_cohort(store, ana)
    await spend(store, ana, cohort, 900)
    use_spending_model(client.runtime)
    headers = await auth_headers(ana)
    conv = (await client.post("/conversations", headers=headers, json={})).json()

    first = await turn(client, headers, conv["id"], "¿Cómo fijo precios?")
    assert first.status_code == 200, first.text  # under the cap when it started
    spent = (await store.usage.totals(user_id=ana.id, cohort_id=None,
                                      day=datetime.now(UTC).date()))["day"]
    assert spent == 900 + await ledger_tokens(store, ana) > 1000

    second = await turn(client, headers, conv["id"], "¿Y los descuentos?")
    assert second.status_code == 429
    error = second.json()["error"]
    tomorrow = resets_at("day", datetime.now(UTC))
    assert error["code"] == "usage_cap_reached"
    assert tomorrow.strftime("%Y-%m-%d %H:%M UTC") in error["message"]
    assert 0 < int(second.headers["retry-after"]) <= 86400
    texts = [m.content for m in await store.messages.transcript(conv["id"])]
    assert "¿Y los descuentos?" not in texts  # refused before anything was stored or run
    assert await store.db.fetch_value("select count(*) from usage_holds") == 0


async def test_an_admin_lifts_the_participant_cap_for_one_person(client, make_user, auth_headers):
    store = client.runtime.store
    ana, ben = await make_user("Ana"), await make_user("Ben")
    admin = await make_user("Ada", is_admin=True)
    cohort = await capped_cohort(store, ana, ben)
    await spend(store, ana, cohort, 1000)
    await spend(store, ben, cohort, 1000)
    use_spending_model(client.runtime)
    admin_headers = await auth_headers(admin)
    resp = await client.put(f"/admin/users/{ana.id}/usage-cap-lift", headers=admin_headers, json={})
    assert resp.status_code == 200, resp.text
    assert resp.json()["lifted_until"].startswith(resets_at("month", datetime.now(UTC)).date().isoformat())

    for user, expected in ((ana, 200), (ben, 429)):
        headers = await auth_headers(user)
        conv = (await client.post("/conversations", headers=headers, json={})).json()
        assert (await turn(client, headers, conv["id"], "hola")).status_code == expected

    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    resp = await client.put(f"/admin/users/{ana.id}/usage-cap-lift", headers=admin_headers,
                            json={"until": past})
    assert resp.status_code == 422
    assert (await client.delete(f"/admin/users/{ana.id}/usage-cap-lift",
                                headers=admin_headers)).status_code == 204
    actions = await store.db.fetch_all(lambda r: r["action"],
                                       "select action from audit_log order by seq")
    assert actions == ["usage.cap_lift", "usage.cap_unlift"]


async def test_twenty_concurrent_turns_at_the_edge_of_the_cap_let_one_through(
        client, make_user, auth_headers):
    store = client.runtime.store
    ana = await make_user("Ana")
    cohort = await capped_cohort(store, ana)
    await spend(store, ana, cohort, 990)  # 10 tokens left
    use_spending_model(client.runtime)
    headers = await auth_headers(ana)
    convs = [(await client.post("/conversations", headers=headers, json={})).json()
             for _ in range(4)]
    responses = await asyncio.gather(*(turn(client, headers, convs[i % 4]["id"], f"pregunta {i}")
                                       for i in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [429] * 19
    spent = (await store.usage.totals(user_id=ana.id, cohort_id=None,
                                      day=datetime.now(UTC).date()))["day"]
    one_turn = await ledger_tokens(store, ana)
    assert await store.db.fetch_value("select count(*) from usage_ledger where purpose = 'answer'"
                                      " and model <> 'test'") == 1
    assert spent == 990 + one_turn  # over the cap by one turn, never by two


async def test_the_reservation_is_atomic_at_the_store_level(client, make_user):
    """Twenty reservations at once on a participant with room left: one gets through."""
    store = client.runtime.store
    ana = await make_user("Ana")
    cohort = await capped_cohort(store, ana, daily=5000)
    await spend(store, ana, cohort, 4999)
    caps = client.runtime.engine.caps
    outcomes = await asyncio.gather(*(caps.reserve(ana.id) for _ in range(20)),
                                    return_exceptions=True)
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, UsageCapReached) for o in outcomes if isinstance(o, BaseException))


async def test_cohort_and_global_caps_hold_too(client, make_user, make_settings):
    store = client.runtime.store
    ana, ben = await make_user("Ana"), await make_user("Ben")
    cohort = await store.cohorts.create(name="Shared", starts_on=date(2026, 1, 1),
                                        ends_on=date(2027, 12, 31), cohort_daily_tokens=2000)
    await store.cohorts.add_members(cohort.id, [ana.id, ben.id])
    await spend(store, ana, cohort, 2000)
    caps = client.runtime.engine.caps
    with pytest.raises(UsageCapReached) as info:
        await caps.reserve(ben.id)  # Ben spent nothing, but the cohort did
    assert info.value.scope == "cohort"
    caps.settings = make_settings(global_monthly_token_cap=100)
    outsider = await make_user("Olga")
    with pytest.raises(UsageCapReached) as info:
        await caps.reserve(outsider.id)
    assert info.value.scope == "global" and info.value.period == "month"


@pytest.fixture
async def wa_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))


async def test_whatsapp_over_the_cap_gets_one_notice_a_day_and_messages_are_kept(
        wa_app, graph):
    store = wa_app.runtime.store
    ana = await store.users.create("+" + WA_USER, "Ana")
    cohort = await capped_cohort(store, ana)
    await spend(store, ana, cohort, 1000)
    use_spending_model(wa_app.runtime)

    for text in ("¿Me ayudas?", "¿Sigues ahí?"):
        assert (await post_webhook(wa_app, text_webhook(text, wa_id=WA_USER))).status_code == 200
        await wait_for_idle_queue(wa_app)
    [notice] = await graph.wait_for_messages_async(1)
    assert "límite diario" in notice["text"]["body"]
    assert resets_at("day", datetime.now(UTC)).strftime("%Y-%m-%d") in notice["text"]["body"]
    await asyncio.sleep(0.3)
    assert len(graph.sent_messages()) == 1  # the second message got nothing more
    rows = await fetch_all(wa_app, "select content, is_from_user from messages order by created_at")
    assert [(r["content"], r["is_from_user"]) for r in rows if r["is_from_user"]] == [
        ("¿Me ayudas?", True), ("¿Sigues ahí?", True)]  # both kept
    assert sum(not r["is_from_user"] for r in rows) == 1  # only the notice was answered
    assert await store.db.fetch_value("select count(*) from usage_ledger") == 1  # no model ran
