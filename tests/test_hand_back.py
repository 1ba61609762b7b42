"""A specialist handed a question outside its area hands it back once (a typed ``Reroute``),
and the engine runs the specialist it names: never twice, never shown to the participant."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.agents import ANSWER_TOOLS, REROUTE_TOOL
from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine, RouteEvent
from tests.scripted_models import CANNED, route_to, scripted

QUESTION = "¿Cuánto cobro por caja si cada una me cuesta 18 € y quiero un 40 % de margen?"


def hands_back_unless(answering: Specialist, to: Specialist = Specialist.financial) -> Any:
    """Answers as ``answering``; any other specialist hands the question back to ``to``."""

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        if ANSWER_TOOLS[tool] is answering:
            return ModelResponse(parts=[ToolCallPart(tool, CANNED[answering])])
        return ModelResponse(parts=[ToolCallPart(REROUTE_TOOL, {
            "reason": "A price worked out from costs is a financial question.",
            "specialist": to.value})])

    return scripted(script)


async def _turn(client: Any, user: Any, model: Any, *, stream: bool = False) -> Any:
    conversation = await client.runtime.store.conversations.create(user.id, "web")
    engine = ConversationEngine.from_runtime(client.runtime, model=model,
                                             triage_model=route_to(Specialist.marketing))
    inbound = InboundMessage(user_id=user.id, conversation_id=conversation.id,
                             channel="web", text=QUESTION)
    if not stream:
        return await engine.run_turn(inbound), []
    events = [e async for e in engine.stream_turn(inbound)]
    return events[-1], events


async def test_a_handed_back_question_is_answered_by_the_specialist_it_names(
    client: Any, make_user: Any,
) -> None:
    model = hands_back_unless(Specialist.financial)
    turn, _ = await _turn(client, await make_user(), model)

    assert not turn.is_fallback and turn.route.specialist is Specialist.financial
    assert turn.answer.kind == "financial" and turn.message.agent == "financial"
    assert "Handed back by marketing" in (turn.message.route_reason or "")
    first, second = model.infos
    assert {t.name for t in first.output_tools} == {"marketing_answer", REROUTE_TOOL}
    assert "hand_back" in (first.instructions or "")
    # the specialist it was handed to may not hand it back again
    assert [t.name for t in second.output_tools] == ["financial_answer"]
    assert "hand_back" not in (second.instructions or "")
    assert turn.message.usage["specialist"]["requests"] == 2  # the hand-back is counted too
    # only the answering specialist's exchange is replayed later, not the hand-back
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute("select model_messages from messages where id = %s",
                                 (turn.message.id,))
        stored = str((await cur.fetchone())["model_messages"])
    assert "financial_answer" in stored and REROUTE_TOOL not in stored


async def test_the_stream_announces_the_new_specialist(client: Any, make_user: Any) -> None:
    _, events = await _turn(client, await make_user(), hands_back_unless(Specialist.financial),
                            stream=True)
    routes = [e.specialist for e in events if isinstance(e, RouteEvent)]
    assert routes == [Specialist.marketing, Specialist.financial]


async def test_a_question_is_handed_back_at_most_once(client: Any, make_user: Any) -> None:
    """A model that always hands back: the second specialist is not offered the hand-back, so
    the turn ends (with the apology once its retries are spent) instead of looping."""
    model = hands_back_unless(Specialist.general)  # nobody it is routed to ever answers
    turn, _ = await _turn(client, await make_user(), model)
    assert turn.is_fallback
    tools_offered = [sorted(t.name for t in info.output_tools) for info in model.infos]
    assert tools_offered[0] == ["hand_back", "marketing_answer"]
    assert all(names == ["financial_answer"] for names in tools_offered[1:])
    attempts = client.runtime.settings.model_attempts
    assert len(model.infos) == 1 + 3 * attempts  # one hand-back, then 3 tries per attempt


async def test_handing_back_to_itself_is_sent_back(client: Any, make_user: Any) -> None:
    seen: list[str] = []

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        if not seen:
            seen.append("hand_back")
            return ModelResponse(parts=[ToolCallPart(REROUTE_TOOL, {
                "reason": "pricing", "specialist": "marketing"})])
        return ModelResponse(parts=[ToolCallPart(tool, CANNED[ANSWER_TOOLS[tool]])])

    model = scripted(script)
    turn, _ = await _turn(client, await make_user(), model)
    assert turn.route.specialist is Specialist.marketing and not turn.is_fallback
    retry = [p for p in model.requests[1][-1].parts if getattr(p, "outcome", "") == "retried"]
    assert "That is your own area" in str(retry[0].content)
