"""A web turn's Server-Sent Events: what each event carries, and how engine events become them.

The events are pydantic models so they are part of the OpenAPI schema (``document_turn_stream``)
and the web client is typed from them: a client that does not handle one fails its typecheck.

The answer streams as the JSON the model writes, each character once: an ``answer`` event opens
it (with the fields the code sets: kind, offline, language), then ``json`` events carry the text
that follows; the client parses the partial JSON into the typed answer so far. Resending the
whole answer on each update (as the engine's ``partial`` events hold it) would cost the square
of its length. Updates are held back while they would be mostly framing: one goes out
``interval`` after the previous if it carries at least ``1/OVERHEAD`` times its framing, and
after ``max_interval`` in any case, so the bytes streamed stay close to the answer's own size
whatever the model's chunking. The engine's Markdown ``delta`` is not sent: the web renders the
typed answer, and the stored message (in ``done``) carries its Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field, TypeAdapter

from api.schemas import Message, message_out
from api.sse import sse
from ignacio_agents.domain import Specialist
from ignacio_agents.events import (
    AnswerJsonEvent,
    DeltaEvent,
    DoneEvent,
    PartialEvent,
    RetryEvent,
    RouteEvent,
)

PATCH_INTERVAL_SECONDS = 0.25
MAX_PATCH_INTERVAL_SECONDS = 1.0
STREAM_SCHEMA = "TurnStreamEvent"

Frame = tuple[str, dict[str, Any] | str]  # the json event carries text as it came


class RouteData(BaseModel):
    """The specialist who answers (again after a hand-back: the answer starts over)."""

    specialist: Specialist
    reason: str
    language: str


class AnswerData(BaseModel):
    """A new answer begins: drop any JSON streamed before. The fields the code sets."""

    kind: str
    offline: bool
    language: str


class ToolData(BaseModel):
    name: str


class RetryData(BaseModel):
    """Discard the answer streamed so far: it is being produced again."""

    attempt: int


class DoneData(BaseModel):
    user_message: Message
    message: Message


class ErrorData(BaseModel):
    message: str
    code: str | None = Field(default=None, description="Why the turn was refused, when it was "
                             "on purpose: `conversation_paused` (a mentor has the conversation; "
                             "the message was saved and gets no AI answer).")


class RouteFrame(BaseModel):
    event: Literal["route"]
    data: RouteData


class AnswerFrame(BaseModel):
    event: Literal["answer"]
    data: AnswerData


class JsonFrame(BaseModel):
    event: Literal["json"]
    data: str = Field(description="More of the answer's JSON text (partial JSON until `done`)")


class ToolFrame(BaseModel):
    event: Literal["tool"]
    data: ToolData


class RetryFrame(BaseModel):
    event: Literal["retry"]
    data: RetryData


class DoneFrame(BaseModel):
    event: Literal["done"]
    data: DoneData


class ErrorFrame(BaseModel):
    event: Literal["error"]
    data: ErrorData


TurnStreamEvent = Annotated[
    RouteFrame | AnswerFrame | JsonFrame | ToolFrame | RetryFrame | DoneFrame | ErrorFrame,
    Field(discriminator="event"),
]

_EMPTY_FRAME = len(sse("json", ""))


class TurnFramer:
    """Engine events in, SSE frames out, with the answer's text held back while it would be
    mostly framing. ``frames`` takes an event and the current time and returns what to send
    now; ``due`` is when held text must go out if nothing else arrives (``flush``)."""

    OVERHEAD = 0.4

    def __init__(self, interval: float = PATCH_INTERVAL_SECONDS,
                 max_interval: float = MAX_PATCH_INTERVAL_SECONDS):
        self.interval = interval
        self.max_interval = max_interval
        self.held = ""
        self.last_sent: float | None = None

    @property
    def due(self) -> float | None:
        if not self.held:
            return None
        if self.last_sent is None:
            return 0.0
        carried = len(sse("json", self.held)) - _EMPTY_FRAME
        worth = carried * self.OVERHEAD >= _EMPTY_FRAME
        return self.last_sent + (self.interval if worth else self.max_interval)

    def flush(self, now: float) -> list[Frame]:
        if not self.held:
            return []
        text, self.held, self.last_sent = self.held, "", now
        return [("json", text)]

    def frames(self, event: Any, now: float) -> list[Frame]:
        if isinstance(event, AnswerJsonEvent):
            if event.start is not None:
                self.held, self.last_sent = event.text, None
                return [("answer", event.start), *self.flush(now)]
            self.held += event.text
            due = self.due
            return self.flush(now) if due is not None and now >= due else []
        if isinstance(event, PartialEvent | DeltaEvent):
            return []
        if isinstance(event, DoneEvent):
            self.held = ""  # the stored answer follows whole
            return [("done", {"user_message": message_out(event.user_message),
                              "message": message_out(event.message)})]
        if isinstance(event, RetryEvent | RouteEvent):
            self.held, self.last_sent = "", None
        data = event.model_dump(mode="json")
        name = data.pop("type")
        return [*self.flush(now), (name, data)]


def document_turn_stream(app: FastAPI, path: str, method: str = "post") -> None:
    """Publish the stream's events in the schema, as ``TurnStreamEvent`` (one of the frames, by
    ``event``), the ``text/event-stream`` content of ``path``."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        defs = TypeAdapter(TurnStreamEvent).json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in defs.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[STREAM_SCHEMA] = defs
        content = schema["paths"][path][method]["responses"]["200"]["content"]
        content["text/event-stream"] = {"schema": {"$ref": f"#/components/schemas/{STREAM_SCHEMA}"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
