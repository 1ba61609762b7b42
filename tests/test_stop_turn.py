"""Stop: the participant ends an answer mid-stream; the model run is cancelled, what it wrote is
stored as the answer marked ``stopped``, and the stream ends with ``done`` as usual."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from ignacio_agents.domain import Specialist
from tests.scripted_models import route_to
from tests.test_web_chat import parse_sse, use_engine

WRITTEN = '{"advice": "Empieza por hablar con cinco clientes'


def writes_then_hangs(written: asyncio.Event, cancelled: asyncio.Event) -> FunctionModel:
    """A model that writes the start of an answer, then would go on forever."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        tool = info.output_tools[0].name
        yield {0: DeltaToolCall(name=tool, json_args=WRITTEN[:20], tool_call_id="a1")}
        yield {0: DeltaToolCall(json_args=WRITTEN[20:])}
        written.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        yield {0: DeltaToolCall(json_args='"}')}  # never reached

    async def whole(messages: list[ModelMessage], info: AgentInfo) -> Any:
        raise AssertionError("the web streams")

    return FunctionModel(whole, stream_function=stream, model_name="hangs")


async def test_stop_keeps_what_was_written_marked_stopped(client, make_user, auth_headers):
    written, cancelled = asyncio.Event(), asyncio.Event()
    use_engine(client, model=writes_then_hangs(written, cancelled),
               triage_model=route_to(Specialist.marketing))
    h = await auth_headers(await make_user())
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    turn = asyncio.create_task(client.post(
        f"/conversations/{conv['id']}/messages", json={"content": "¿Por dónde empiezo?"},
        headers={**h, "Accept": "text/event-stream"}))
    await asyncio.wait_for(written.wait(), 30)

    stopped = await client.post(f"/conversations/{conv['id']}/stop", headers=h)
    assert stopped.status_code == 204
    events = parse_sse((await asyncio.wait_for(turn, 30)).text)
    assert cancelled.is_set()  # the model run itself was cancelled, not just the stream
    assert events[-1][0] == "done"
    message = events[-1][1]["message"]
    assert message["error_code"] == "stopped" and not message["is_fallback"]
    assert message["answer"]["advice"] == json.loads(WRITTEN + '"}')["advice"]
    assert "cinco clientes" in message["content"]

    page = (await client.get(f"/conversations/{conv['id']}/messages", headers=h)).json()
    assert page["items"][0]["id"] == message["id"] and page["items"][0]["error_code"] == "stopped"
    again = await client.post(f"/conversations/{conv['id']}/stop", headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_running_turn"


async def test_stop_is_only_for_ones_own_conversation(client, make_user, auth_headers):
    ana, bob = await auth_headers(await make_user("Ana")), await auth_headers(await make_user("Bob"))
    conv = (await client.post("/conversations", json={}, headers=ana)).json()
    resp = await client.post(f"/conversations/{conv['id']}/stop", headers=bob)
    assert resp.status_code == 404


async def test_stop_sent_to_another_api_process_stops_the_answer(
        client, make_client, settings, make_user, auth_headers):
    """Two API processes on one database (behind a load balancer): the tab streams from one,
    its Stop lands on the other, and the answer still stops where it was."""
    written, cancelled = asyncio.Event(), asyncio.Event()
    use_engine(client, model=writes_then_hangs(written, cancelled),
               triage_model=route_to(Specialist.marketing))
    other = await make_client(settings)
    h = await auth_headers(await make_user())
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    turn = asyncio.create_task(client.post(
        f"/conversations/{conv['id']}/messages", json={"content": "¿Por dónde empiezo?"},
        headers={**h, "Accept": "text/event-stream"}))
    await asyncio.wait_for(written.wait(), 30)

    stopped = await other.post(f"/conversations/{conv['id']}/stop", headers=h)
    assert stopped.status_code == 204
    events = parse_sse((await asyncio.wait_for(turn, 30)).text)
    assert cancelled.is_set()
    assert events[-1][0] == "done"
    assert events[-1][1]["message"]["error_code"] == "stopped"
    assert "cinco clientes" in events[-1][1]["message"]["content"]
    # Answered now: neither process has anything left to stop.
    again = await other.post(f"/conversations/{conv['id']}/stop", headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_running_turn"
