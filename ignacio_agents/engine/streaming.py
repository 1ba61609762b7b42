"""A specialist's stream events as the turn's ``tool`` / ``partial`` / ``delta`` /
``answer_json`` events.

The answer is a tool call whose JSON arguments arrive in pieces; each piece is passed on as
``answer_json`` (for clients that parse the JSON themselves), parsed as partial JSON into the
typed answer so far, published as a ``partial`` event, and the growth of its Markdown rendering
as a ``delta``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_ai import AgentStreamEvent, PartDeltaEvent, PartStartEvent, RunContext
from pydantic_ai.messages import FunctionToolCallEvent, ToolCallPart, ToolCallPartDelta
from pydantic_core import from_json, to_json

from ignacio_agents.agents import answer_tool_name
from ignacio_agents.domain import Specialist
from ignacio_agents.events import (
    AnswerJsonEvent,
    DeltaEvent,
    PartialEvent,
    RetryEvent,
    ToolEvent,
    TurnEvent,
)
from ignacio_agents.responses import AdvisorAnswer, partial_answer

Emit = Callable[[TurnEvent], None]


class AnswerStream:
    """Follows one attempt of one specialist (a retry starts a new one)."""

    def __init__(self, specialist: Specialist, emit: Emit, *, offline: bool, language: str,
                 attempt: int = 1):
        self.specialist = specialist
        self.attempt = attempt
        self.tool_name = answer_tool_name(specialist)
        self.emit = emit
        self.offline = offline
        self.language = language
        self.index: int | None = None
        self.args = ""
        self.sent = ""  # Markdown already sent as deltas

    async def handle(self, ctx: RunContext[Any], events: Any) -> None:
        """PydanticAI's ``event_stream_handler``."""
        async for event in events:
            self.on_event(event)

    def on_event(self, event: AgentStreamEvent) -> None:
        if isinstance(event, FunctionToolCallEvent):
            self.emit(ToolEvent(name=event.part.tool_name))
        elif isinstance(event, PartStartEvent) and isinstance(event.part, ToolCallPart):
            if event.part.tool_name == self.tool_name:
                if self.sent:  # an answer dropped for coming with a tool call: start over
                    self.emit(RetryEvent(attempt=self.attempt))
                    self.sent = ""
                self.index = event.index
                args = event.part.args
                self.args = args if isinstance(args, str) else to_json(args).decode() if args else ""
                self._start_json()
                self._publish()
        elif (isinstance(event, PartDeltaEvent) and event.index == self.index
              and isinstance(event.delta, ToolCallPartDelta)):
            delta = event.delta.args_delta
            if isinstance(delta, str):
                self.args += delta
                if delta:
                    self.emit(AnswerJsonEvent(text=delta))
            elif isinstance(delta, dict):  # some providers send whole argument objects
                self.args = to_json(delta).decode()
                self._start_json()
            self._publish()

    def _start_json(self) -> None:
        self.emit(AnswerJsonEvent(text=self.args, start={
            "kind": self.specialist.value, "offline": self.offline,
            "language": self.language}))

    def answer_so_far(self) -> AdvisorAnswer:
        """The typed answer as far as the model wrote it (empty if it had not started)."""
        try:
            data = from_json(self.args, allow_partial="trailing-strings") if self.args else {}
        except ValueError:
            data = {}
        answer = partial_answer(self.specialist, data if isinstance(data, dict) else {})
        answer.offline = self.offline
        answer.language = self.language
        return answer

    def _publish(self) -> None:
        try:
            data = from_json(self.args, allow_partial="trailing-strings") if self.args else {}
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        answer = partial_answer(self.specialist, data)
        answer.offline = self.offline
        answer.language = self.language
        self.emit(PartialEvent(answer=answer.model_dump(mode="json")))
        text = answer.to_markdown()
        if text.startswith(self.sent) and len(text) > len(self.sent):
            self.emit(DeltaEvent(text=text[len(self.sent):]))
            self.sent = text
