"""Helpers for the memory tests: answered turns stored the way the engine stores them, and a
scripted summarizer model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.agents.summarizer import NOTES_TOOL
from ignacio_agents.memory import prepare_for_storage
from ignacio_agents.store.messages import NewMessage
from tests.scripted_models import RecordingModel, scripted


async def add_turn(store: Any, conversation: Any, question: str, answer: str = "Entendido.",
                   *, channel: str | None = None) -> Any:
    """Store one answered turn (user message, then the assistant message with its model
    messages and their size) and return the assistant message."""
    channel = channel or conversation.channel
    asked = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=conversation.user_id, is_from_user=True, content=question,
        channel=channel,
    ))
    call = ToolCallPart("general_answer", {"message": answer, "follow_up_questions": []},
                        tool_call_id=f"c-{asked.id}")
    messages: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart(question)]), ModelResponse(parts=[call]),
        ModelRequest(parts=[ToolReturnPart("general_answer", "Final result processed.",
                                           tool_call_id=call.tool_call_id)]),
    ]
    stored, tokens = prepare_for_storage(messages)
    return await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=conversation.user_id, is_from_user=False, content=answer,
        channel=channel, agent="general", answer={"kind": "general", "message": answer},
        usage={"history_tokens": tokens}, model_messages=stored, reply_to_id=asked.id,
    ))


def summarizer_model(notes: Callable[[str], dict[str, Any]]) -> RecordingModel:
    """A summarizer model answering ``notes(prompt_text)`` through the notes tool."""

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        assert info.output_tools[0].name == NOTES_TOOL
        prompt = next(p.content for m in messages if isinstance(m, ModelRequest)
                      for p in m.parts if isinstance(p, UserPromptPart))
        assert isinstance(prompt, str)
        return ModelResponse(parts=[ToolCallPart(NOTES_TOOL, notes(prompt))])

    return scripted(script, name="summarizer-script")
