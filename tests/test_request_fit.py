"""What a specialist request holds once fitted to the model's window: exact lists, counted."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from inline_snapshot import snapshot
from pydantic_ai import capture_run_messages
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.agents import SPECIALISTS, AdvisorDeps
from ignacio_agents.context_fit import bound_current_turn, fit_messages, plan_request
from ignacio_agents.domain import Specialist
from ignacio_agents.memory import message_tokens
from ignacio_agents.store.profiles import ProjectProfile
from tests.scripted_models import answer_for, scripted, tool_returns_of_this_turn
from tests.test_memory_across_channels import _shape


def test_the_budget_is_what_the_window_leaves() -> None:
    # gpt-4: 8,192 - 1,500 instructions and tools - 2,000 answer - 409 margin
    assert plan_request(window=8192, ceiling=6000, fixed=1500, max_tokens=2000).history_budget == 4283
    # a 4k model: the answer's reservation drops to a quarter of the window, and is sent as such
    small = plan_request(window=4096, ceiling=6000, fixed=1500, max_tokens=2000)
    assert (small.history_budget, small.max_tokens) == (1368, 1024)
    # a 128k model: the configured ceiling is the limit
    assert plan_request(window=128_000, ceiling=6000, fixed=1500, max_tokens=2000).history_budget == 6000
    # unknown window: only the ceiling
    assert plan_request(window=None, ceiling=6000, fixed=1500, max_tokens=2000).history_budget == 6000


def _turns(n: int, words: int = 60) -> list[ModelMessage]:
    history: list[ModelMessage] = []
    for i in range(n):  # every other turn searched the history before answering
        history.append(ModelRequest(parts=[UserPromptPart(f"question {i} " + "palabra " * words)]))
        if i % 2:
            history += [ModelResponse(parts=[ToolCallPart("search_history", {"query": "pilotos"},
                                                          tool_call_id=f"s{i}")]),
                        ModelRequest(parts=[ToolReturnPart("search_history", [], tool_call_id=f"s{i}")])]
        history += [ModelResponse(parts=[ToolCallPart("marketing_answer", {
                        "advice": "consejo " * words, "action_items": [], "resources": []},
                        tool_call_id=f"a{i}")]),
                    ModelRequest(parts=[ToolReturnPart("marketing_answer", "Final result processed.",
                                                       tool_call_id=f"a{i}")])]
    return history


def test_a_huge_tool_result_of_this_turn_is_cut_to_fit_and_nothing_else_moves() -> None:
    current = [
        ModelRequest(parts=[UserPromptPart("¿Qué dice el PDF sobre el precio?")]),
        ModelResponse(parts=[ToolCallPart("read_file", {"file_id": "f1"}, tool_call_id="r1")]),
        ModelRequest(parts=[ToolReturnPart("read_file", "precio " * 20_000, tool_call_id="r1")]),
    ]
    messages = [*_turns(4), *current]
    fitted = fit_messages(messages, 900, "cl100k_base")
    assert sum(message_tokens(m, "cl100k_base") for m in fitted) <= 900
    assert _shape(fitted) == snapshot([
        "user: ¿Qué dice el PDF sobre el prec",
        "call #1: read_file",
        "return #1: read_file",
    ])
    result = fitted[-1].parts[0]
    assert isinstance(result, ToolReturnPart) and result.content.startswith("precio precio")
    assert "cut to fit the model's context window" in result.content
    # the run's own messages are untouched (what gets stored stays whole)
    assert current[-1].parts[0].content == "precio " * 20_000  # type: ignore[union-attr]
    # and a turn that fits is returned as it is
    assert bound_current_turn(messages[-3:-1], 10_000, "cl100k_base") == messages[-3:-1]


async def test_the_specialist_request_keeps_whole_newest_turns_and_the_question_last(
        client: Any, make_user: Any) -> None:
    user = await make_user()

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if not tool_returns_of_this_turn(messages):
            return ModelResponse(parts=[ToolCallPart("search_history", {"query": "precio"},
                                                     tool_call_id="now")])
        return answer_for(info)

    model = scripted(script)
    deps = AdvisorDeps(store=client.runtime.store, user=user, conversation_id=uuid4(),
                       message_id=None, specialist=Specialist.marketing, language="es",
                       channel="whatsapp", profile=ProjectProfile(), history_token_budget=6000,
                       context_window=3400)  # leaves room for a few earlier turns
    history = _turns(8)
    with capture_run_messages() as run_messages:
        await SPECIALISTS[Specialist.marketing].run("the current question", message_history=history,
                                                    deps=deps, model=model)
    # whole newest turns (every tool return with its call), then the current turn
    assert _shape(model.requests[-1]) == snapshot([
        "user: question 4 palabra palabra pal",
        "call #1: marketing_answer",
        "return #1: marketing_answer",
        "user: question 5 palabra palabra pal",
        "call #2: search_history",
        "return #2: search_history",
        "call #3: marketing_answer",
        "return #3: marketing_answer",
        "user: question 6 palabra palabra pal",
        "call #4: marketing_answer",
        "return #4: marketing_answer",
        "user: question 7 palabra palabra pal",
        "call #5: search_history",
        "return #5: search_history",
        "call #6: marketing_answer",
        "return #6: marketing_answer",
        "user: the current question",
        "call #7: search_history",
        "return #7: search_history",
    ])
    # the turn's first request had one tool exchange less to carry, so room for one turn more
    first = _shape(model.requests[0])
    assert first[0] == "user: question 3 palabra palabra pal" and first[-1] == "user: the current question"
    assert not any("(orphan)" in line for line in first)
    # the run itself kept its whole history (what is stored is never the trimmed list)
    kept = [p.content for m in run_messages for p in m.parts if isinstance(p, UserPromptPart)]
    assert kept[0].startswith("question 0") and kept[-1] == "the current question"
