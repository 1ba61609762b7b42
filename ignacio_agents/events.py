"""What a turn reports while it runs (for the web's Server-Sent Events) and what it returns.

Every event is a pydantic model with a ``type`` field, so a channel can serialise any of them
as ``event: <type>`` with the rest as JSON data. A client renders ``partial`` answers (typed,
with ``kind``), appends ``delta`` text, or parses the ``answer_json`` itself; ``retry`` means
"discard what was streamed so far, the answer is being produced again"; ``done`` carries both
stored messages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from ignacio_agents.agents.routing import Route
from ignacio_agents.domain import Specialist
from ignacio_agents.responses import Answer
from ignacio_agents.store.messages import StoredMessage


class RouteEvent(BaseModel):
    type: Literal["route"] = "route"
    specialist: Specialist
    reason: str
    language: str


class ToolEvent(BaseModel):
    """A specialist called a tool (its name only: arguments may hold the user's words)."""

    type: Literal["tool"] = "tool"
    name: str


class PartialEvent(BaseModel):
    """The answer so far, as the typed answer's JSON (``kind`` included, fields growing)."""

    type: Literal["partial"] = "partial"
    answer: dict[str, Any]


class DeltaEvent(BaseModel):
    """New Markdown text to append to what was streamed since the last ``route``/``retry``."""

    type: Literal["delta"] = "delta"
    text: str


class AnswerJsonEvent(BaseModel):
    """The answer's JSON as the model writes it, for a client that parses it itself and so gets
    each character once. ``start`` marks the first piece of an answer (what came before is
    dropped) and carries the fields the code sets (``kind``, ``offline``, ``language``)."""

    type: Literal["answer_json"] = "answer_json"
    text: str
    start: dict[str, Any] | None = None


class RetryEvent(BaseModel):
    type: Literal["retry"] = "retry"
    attempt: int


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    user_message: StoredMessage
    message: StoredMessage


TurnEvent = (RouteEvent | ToolEvent | PartialEvent | DeltaEvent | AnswerJsonEvent | RetryEvent
             | DoneEvent)


class TurnResult(BaseModel):
    """A finished turn: both stored messages, the route and the typed answer (channels render
    it their own way)."""

    user_message: StoredMessage
    message: StoredMessage
    route: Route
    answer: Answer

    @property
    def is_fallback(self) -> bool:
        return self.message.is_fallback
