"""A streamed web turn sends each part of the answer once: the answer's JSON as the model writes
it, in updates held back while they would be mostly framing, so the bytes stay within 1.5x the
answer's own size; and the events are in the OpenAPI schema the web client is generated from."""

from __future__ import annotations

import json
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    ToolCallPart,
    ToolCallPartDelta,
)
from pydantic_ai.models.function import AgentInfo
from pydantic_core import from_json

from api.sse import sse
from api.turn_stream import TurnFramer
from ignacio_agents.agents import answer_tool_name
from ignacio_agents.domain import Specialist
from ignacio_agents.engine.streaming import AnswerStream
from ignacio_agents.events import AnswerJsonEvent, PartialEvent, RetryEvent, TurnEvent
from tests.scripted_models import route_to, scripted
from tests.test_web_chat import parse_sse, use_engine

LONG_ANSWER = {
    "advice": " ".join(["Habla con tus primeros clientes antes de construir nada más."] * 12),
    "action_items": [f"Llama a cinco clientes del segmento {i} y anota sus objeciones" for i in range(8)],
    "resources": ["Lean Canvas", "The Mom Test", "Customer Development"],
}
CHUNK = 12  # characters of tool-call JSON per model chunk, as the scripted models stream


def _compact(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _partials(answer: dict[str, Any]) -> list[TurnEvent]:
    """The engine's events for a model streaming ``answer`` in ``CHUNK``-sized pieces."""
    events: list[TurnEvent] = []
    stream = AnswerStream(Specialist.marketing, events.append, offline=False, language="es")
    args = json.dumps(answer, ensure_ascii=False)
    tool = answer_tool_name(Specialist.marketing)
    stream.on_event(PartStartEvent(index=0, part=ToolCallPart(tool_name=tool, args="")))
    for i in range(0, len(args), CHUNK):
        stream.on_event(PartDeltaEvent(index=0, delta=ToolCallPartDelta(args_delta=args[i:i + CHUNK])))
    return events


def _replay(events: list[TurnEvent], framer: TurnFramer, seconds_per_chunk: float) -> list[bytes]:
    """Frames for ``events``, the clock moving on by ``seconds_per_chunk`` at each model chunk."""
    frames: list[bytes] = []
    now = 0.0
    for event in events:
        if isinstance(event, PartialEvent):
            now += seconds_per_chunk
        frames += [sse(name, data) for name, data in framer.frames(event, now)]
    frames += [sse(name, data) for name, data in framer.flush(now)]
    return frames


def _rebuild(frames: list[bytes]) -> Any:
    """What the web client does: the JSON text since the last ``answer``, parsed as partial JSON,
    with the fields the code sets."""
    start: dict[str, Any] = {}
    text = ""
    for name, data in parse_sse(b"".join(frames).decode()):
        if name == "answer":
            start, text = data, ""
        elif name == "json":
            text += data
    return {**from_json(text, allow_partial="trailing-strings"), **start} if start else None


def test_streamed_bytes_stay_within_one_and_a_half_times_the_answer() -> None:
    """A model sending 12 characters every 50 ms (about 60 tokens a second, a slow one)."""
    events = _partials(LONG_ANSWER)
    final = [e for e in events if isinstance(e, PartialEvent)][-1].answer  # the whole answer
    frames = _replay(events, TurnFramer(), seconds_per_chunk=0.05)
    assert _rebuild(frames) == final
    streamed = sum(len(f) for f in frames)
    assert streamed <= 1.5 * _compact(final), (streamed, _compact(final))
    # Sending every piece as it comes, the framing alone costs several times more.
    unthrottled = _replay(events, TurnFramer(interval=0, max_interval=0), seconds_per_chunk=0.05)
    assert _rebuild(unthrottled) == final
    assert sum(len(f) for f in unthrottled) > 2.5 * _compact(final)


def test_a_slow_model_still_shows_progress() -> None:
    """Two characters a second: each one would be mostly framing, yet one goes out each second."""
    framer = TurnFramer()
    events = _partials({"advice": "Despacio"})
    frames = [f for n, e in enumerate(events) for f in framer.frames(e, n * 0.5)]
    assert [name for name, _ in frames].count("json") >= len(events) // 4


def test_a_retry_starts_the_answer_over() -> None:
    framer = TurnFramer()
    first = _replay(_partials({"advice": "Primero"}), framer, seconds_per_chunk=1)
    retry = framer.frames(RetryEvent(attempt=2), 100)
    second = _replay(_partials({"advice": "Segundo"}), framer, seconds_per_chunk=1)
    assert [name for name, _ in retry] == ["retry"]
    assert _rebuild(first + [sse(*f) for f in retry] + second)["advice"] == "Segundo"
    assert parse_sse(second[0].decode())[0] == ("answer", {"kind": "marketing", "offline": False,
                                                           "language": "es"})


def test_whole_arguments_from_a_provider_restart_the_json() -> None:
    events: list[TurnEvent] = []
    stream = AnswerStream(Specialist.general, events.append, offline=True, language="en")
    tool = answer_tool_name(Specialist.general)
    stream.on_event(PartStartEvent(index=0, part=ToolCallPart(tool_name=tool, args='{"mess')))
    stream.on_event(PartDeltaEvent(index=0, delta=ToolCallPartDelta(args_delta={"message": "Hi"})))
    texts = [e for e in events if isinstance(e, AnswerJsonEvent)]
    assert [e.start is not None for e in texts] == [True, True]
    assert texts[-1].text == '{"message":"Hi"}'


async def test_http_stream_sends_patches_that_rebuild_the_stored_answer(client, make_user, auth_headers):
    def long_answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, LONG_ANSWER)])

    use_engine(client, model=scripted(long_answer), triage_model=route_to(Specialist.marketing))
    h = await auth_headers(await make_user())
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    resp = await client.post(f"/conversations/{conv['id']}/messages", json={"content": "¿Clientes?"},
                             headers={**h, "Accept": "text/event-stream"})
    events = parse_sse(resp.text)
    names = [name for name, _ in events]
    assert names[:2] == ["route", "answer"] and names[-1] == "done"
    assert not {"partial", "delta"} & set(names)
    stored = events[-1][1]["message"]["answer"]
    assert stored["advice"] == LONG_ANSWER["advice"]
    # A fast model: what was held when the answer was stored is not sent (``done`` has it all).
    streamed = _rebuild([sse(n, d) for n, d in events])
    assert stored["advice"].startswith(streamed.get("advice", ""))
    assert streamed["kind"] == stored["kind"] == "marketing"
    before_done = resp.text.encode()[: resp.text.encode().index(b"event: done")]
    assert len(before_done) <= 1.5 * _compact(stored), (len(before_done), _compact(stored))


async def test_stream_events_are_in_the_openapi_schema(client):
    schema = (await client.get("/openapi.json")).json()
    send = schema["paths"]["/conversations/{conversation_id}/messages"]["post"]
    content = send["responses"]["200"]["content"]
    assert content["text/event-stream"]["schema"]["$ref"] == "#/components/schemas/TurnStreamEvent"
    union = schema["components"]["schemas"]["TurnStreamEvent"]
    names = {"route", "answer", "json", "tool", "retry", "done", "error"}
    assert set(union["discriminator"]["mapping"]) == names
    for ref in union["discriminator"]["mapping"].values():
        assert ref.rsplit("/", 1)[1] in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["DoneData"]["properties"]["message"]["$ref"].endswith("/Message")
