"""Scripted stand-ins for the model provider (PydanticAI ``FunctionModel``), shared by the
advisor tests. Models reach the engine by injection:
``ConversationEngine.from_runtime(runtime, model=..., triage_model=...)``.

A script is a function ``(messages, info) -> ModelResponse``; :func:`scripted` wraps it so the
same script also serves streaming runs (``stream_turn``), by replaying its response as deltas.
Every model records the messages it was sent in ``.requests``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from ignacio_agents.agents import ANSWER_TOOLS, REROUTE_TOOL, ROUTE_TOOL
from ignacio_agents.domain import Specialist

Script = Callable[[list[ModelMessage], AgentInfo], ModelResponse]

CANNED: dict[Specialist, dict[str, Any]] = {
    Specialist.marketing: {"advice": "Talk to customers first.", "action_items": ["Call five customers"],
                           "resources": ["Lean Canvas"]},
    Specialist.technical: {"solution": "Use a no-code tool.",
                           "implementation_steps": ["Pick a tool", "Build"], "considerations": ["Lock-in"]},
    Specialist.project_management: {"recommendations": "Plan in weeks.",
                                    "timeline_suggestions": ["Week 1: goals"],
                                    "risk_factors": ["Scope creep"]},
    Specialist.financial: {"analysis": "Your margin is thin.", "recommendations": ["Raise prices"],
                           "key_figures": ["Break-even: 150 units"], "risks": ["Cash flow"]},
    Specialist.general: {"message": "¡Hola! ¿En qué te ayudo?", "follow_up_questions": ["¿Tu proyecto?"]},
}


class RecordingModel(FunctionModel):
    """A FunctionModel that keeps every request's messages and ``AgentInfo``."""

    def __init__(self, script: Script, *, name: str = "scripted"):
        self.requests: list[list[ModelMessage]] = []
        self.infos: list[AgentInfo] = []

        async def function(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            self.requests.append(list(messages))
            self.infos.append(info)
            return await _call(script, messages, info)

        async def stream_function(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
            self.requests.append(list(messages))
            self.infos.append(info)
            response = await _call(script, messages, info)
            for index, part in enumerate(response.parts):
                if isinstance(part, TextPart):
                    yield part.content
                elif isinstance(part, ToolCallPart):
                    args = part.args_as_json_str()
                    for i in range(0, len(args), 12):
                        yield {index: DeltaToolCall(
                            name=part.tool_name if i == 0 else None, json_args=args[i : i + 12],
                            tool_call_id=(part.tool_call_id or f"call-{index}") if i == 0 else None,
                        )}

        super().__init__(function, stream_function=stream_function, model_name=name)


async def _call(script: Script, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    result = script(messages, info)
    if hasattr(result, "__await__"):
        result = await result  # type: ignore[misc]
    return result  # type: ignore[return-value]


def scripted(script: Script, *, name: str = "scripted") -> RecordingModel:
    return RecordingModel(script, name=name)


def route_to(specialist: Specialist, language: str = "es", reason: str = "scripted route") -> RecordingModel:
    """A triage model that always routes to ``specialist``."""

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        assert info.output_tools[0].name == ROUTE_TOOL
        return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
            "specialist": specialist.value, "reason": reason, "language": language})])

    return scripted(script, name="triage-script")


def answer_for(info: AgentInfo, **overrides: Any) -> ModelResponse:
    """The canned answer for whichever specialist is asking (read from its output tool)."""
    tool = info.output_tools[0].name
    return ModelResponse(parts=[ToolCallPart(tool, {**CANNED[ANSWER_TOOLS[tool]], **overrides})])


def canned_answers(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return answer_for(info)


def calls_tools_then_answers(calls: list[tuple[str, dict[str, Any]]]) -> Script:
    """Call ``calls`` (in one response) on the first request of a turn, then answer."""

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if not tool_returns_of_this_turn(messages):
            return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"t{i}")
                                        for i, (name, args) in enumerate(calls)])
        return answer_for(info)

    return script


def current_turn(messages: list[ModelMessage]) -> list[ModelMessage]:
    """The messages from the last user prompt on (what this run added)."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, ModelRequest) and any(isinstance(p, UserPromptPart) for p in m.parts):
            return messages[i:]
    return messages


def tool_returns_of_this_turn(messages: list[ModelMessage]) -> dict[str, Any]:
    """Function-tool results since the current user prompt, by tool name (answers and
    hand-backs excluded)."""
    out: dict[str, Any] = {}
    turn = current_turn(messages)
    for m in turn[1:]:
        if isinstance(m, ModelRequest):
            for p in m.parts:
                if isinstance(p, ToolReturnPart) and p.tool_name not in {*ANSWER_TOOLS, REROUTE_TOOL}:
                    out[p.tool_name] = p.content
    return out


def request_text(messages: list[ModelMessage]) -> str:
    """Everything a request carries, as one JSON string (for 'does it contain' checks)."""
    from pydantic_ai import ModelMessagesTypeAdapter

    return json.dumps(ModelMessagesTypeAdapter.dump_python(messages, mode="json"), ensure_ascii=False)
