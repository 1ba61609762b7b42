"""A response that calls ``search_files`` and the answer tool together never ends the turn with
the answer written before the search result existed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine
from tests.scripted_models import route_to, scripted, tool_returns_of_this_turn

BLIND = {"advice": "Blind guess, written before reading anything.", "action_items": [], "resources": []}


def eager(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Searches and answers in one response; answers from the result once it has one."""
    results = tool_returns_of_this_turn(messages)
    if "search_files" not in results:
        return ModelResponse(parts=[ToolCallPart("search_files", {"query": "precio"}, tool_call_id="s1"),
                                    ToolCallPart("marketing_answer", BLIND, tool_call_id="a1")])
    return ModelResponse(parts=[ToolCallPart("marketing_answer", {
        "advice": f"From your files: {results['search_files']!r}", "action_items": [], "resources": []})])


@pytest.mark.parametrize("streaming", [False, True])
async def test_the_answer_waits_for_the_search_result(client: Any, make_user: Any, streaming: bool) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    model = scripted(eager)
    engine = ConversationEngine.from_runtime(rt, model=model, triage_model=route_to(Specialist.marketing))
    inbound = InboundMessage(user_id=user.id, conversation_id=conversation.id, channel="web",
                             text="¿Qué dicen mis ficheros del precio?")
    if streaming:
        events = [e async for e in engine.stream_turn(inbound)]
        answer = events[-1].message.answer  # type: ignore[union-attr]
        # what was streamed of the dropped answer is taken back before the real one streams
        kinds = [e.type for e in events]
        assert "retry" in kinds and "delta" in kinds[kinds.index("retry"):]
    else:
        answer = (await engine.run_turn(inbound)).message.answer
    assert answer is not None
    assert answer["advice"].startswith("From your files:")
    assert len(model.requests) == 2  # the model was asked again, with the search result in front of it
    assert "search_files" in tool_returns_of_this_turn(model.requests[1])
    # the stored exchange holds no trace of the blind answer
    assert "Blind guess" not in str(await rt.store.messages.model_history_within(conversation.id, 10**9))
