"""The usage ledger: every model run of a turn (router, specialist) and of the summaries is a
row with PydanticAI's token counts and genai-prices' price, attributed to participant and cohort."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from genai_prices import Usage, calc_price
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo
from pydantic_ai.usage import RequestUsage

from ignacio_agents.agents import ANSWER_TOOLS, ROUTE_TOOL
from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.folding import ModelSummarizer, fold_conversation
from ignacio_agents.usage_prices import price
from tests.scripted_models import CANNED, scripted

ROUTER = RequestUsage(input_tokens=120, output_tokens=15)
ANSWER = RequestUsage(input_tokens=900, output_tokens=150)
SUMMARY = RequestUsage(input_tokens=400, output_tokens=60)


def router(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    assert info.output_tools[0].name == ROUTE_TOOL
    return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
        "specialist": "general", "reason": "scripted", "language": "es"})], usage=ROUTER)


def specialist(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    tool = info.output_tools[0].name
    return ModelResponse(parts=[ToolCallPart(tool, CANNED[ANSWER_TOOLS[tool]])], usage=ANSWER)


def summarizer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {
        "add": [{"kind": "fact", "text": "Vende pan de masa madre.", "turn": 1}],
        "outdated": []})], usage=SUMMARY)


async def _cohort(store: Any) -> Any:
    return await store.cohorts.create(name="Otoño", starts_on=date(2026, 9, 1),
                                      ends_on=date(2026, 12, 31))


async def test_ledger_equals_pydantic_ai_usage_and_genai_prices_cost(client, make_user):
    store, settings = client.runtime.store, client.runtime.settings
    cohort = await _cohort(store)
    ana, ben, outsider = await make_user("Ana"), await make_user("Ben"), await make_user("Olga")
    await store.cohorts.add_members(cohort.id, [ana.id, ben.id])
    triage_model = scripted(router, name="gpt-4o-mini")
    answer_model = scripted(specialist, name="gpt-4o")
    engine = ConversationEngine.from_runtime(client.runtime, model=answer_model,
                                             triage_model=triage_model)
    turns = {ana.id: 2, ben.id: 1, outsider.id: 1}
    conversations = {}
    for user_id, n in turns.items():
        conversations[user_id] = conv = await store.conversations.create(user_id, "web", None)
        for i in range(n):
            await engine.run_turn(InboundMessage(user_id=user_id, conversation_id=conv.id,
                                                 channel="web", text=f"Vendo pan, pregunta {i}"))
    summary_model = scripted(summarizer, name="gpt-4o-mini")
    await fold_conversation(store, ModelSummarizer(summary_model, settings), conversations[ana.id].id)

    rows = await store.db.fetch_all(dict, "select * from usage_ledger order by id")
    # One row per run: router + specialist per turn, and the summary.
    assert [(r["purpose"], r["model"]) for r in rows if r["user_id"] == ana.id] == [
        ("triage", "function:gpt-4o-mini"), ("answer", "function:gpt-4o")] * 2 + [
        ("summary", "function:gpt-4o-mini")]
    # Every request the scripted models served is in the ledger, token for token.
    requests = len(triage_model.requests) + len(answer_model.requests) + len(summary_model.requests)
    assert sum(r["requests"] for r in rows) == requests == 4 * 2 + 1
    assert sum(r["input_tokens"] for r in rows) == (
        len(triage_model.requests) * ROUTER.input_tokens
        + len(answer_model.requests) * ANSWER.input_tokens + SUMMARY.input_tokens)
    assert sum(r["output_tokens"] for r in rows) == (
        len(triage_model.requests) * ROUTER.output_tokens
        + len(answer_model.requests) * ANSWER.output_tokens + SUMMARY.output_tokens)
    # The cost is genai-prices' price for those models.
    for r in rows:
        model = "gpt-4o" if r["purpose"] == "answer" else "gpt-4o-mini"
        expected = calc_price(Usage(input_tokens=r["input_tokens"],
                                    output_tokens=r["output_tokens"]), model).total_price
        assert r["cost_usd"] == expected and r["price_source"] == "genai-prices"
        assert r["cost_usd"] > 0
    # Attribution: the cohort's two participants, and the outsider without a cohort.
    assert {r["cohort_id"] for r in rows if r["user_id"] in (ana.id, ben.id)} == {cohort.id}
    assert {r["cohort_id"] for r in rows if r["user_id"] == outsider.id} == {None}
    answer_ids = {r["message_id"] for r in rows if r["purpose"] == "answer"}
    assert len(answer_ids) == 4 and None not in answer_ids

    # The running totals the caps read agree with the ledger.
    today = rows[0]["created_at"].date()
    ana_tokens = sum(r["input_tokens"] + r["output_tokens"] for r in rows if r["user_id"] == ana.id)
    assert (await store.usage.totals(user_id=ana.id, cohort_id=None, day=today))["day"] == ana_tokens
    cohort_tokens = sum(r["input_tokens"] + r["output_tokens"] for r in rows
                        if r["cohort_id"] == cohort.id)
    got = await store.usage.totals(user_id=None, cohort_id=cohort.id, day=today)
    assert got == {"day": cohort_tokens, "month": cohort_tokens}
    everyone = await store.usage.totals(user_id=None, cohort_id=None, day=today)
    assert everyone["day"] == sum(r["input_tokens"] + r["output_tokens"] for r in rows)

    by_cohort = await store.usage.report("cohort")
    assert [(r.label, r.cost_usd) for r in by_cohort if r.key] == [
        ("Otoño", sum((r["cost_usd"] for r in rows if r["cohort_id"] == cohort.id), Decimal(0)))]


def test_unknown_and_local_models_use_the_configured_price():
    cost = price("openai:my-local-llama", input_tokens=2_000_000, output_tokens=500_000,
                 input_per_mtok=0.25, output_per_mtok=1.0)
    assert cost.source == "configured" and cost.usd == Decimal("1.0")
    assert price("offline", input_tokens=10, output_tokens=10).usd == 0
    known = price("openai:gpt-4o-mini", input_tokens=1000, output_tokens=1000)
    assert known.source == "genai-prices"
    assert known.usd == calc_price(Usage(input_tokens=1000, output_tokens=1000),
                                   "gpt-4o-mini").total_price
