"""Replayed history validated once per stored turn: the same messages as validating every
time, unreadable messages skipped, and nothing a run records on its requests kept."""

from __future__ import annotations

import json
import uuid
from typing import Any

from psycopg.types.json import Jsonb
from pydantic_ai import ModelMessagesTypeAdapter
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.history_cache import HistoryCache
from ignacio_agents.memory import load_history, request_tokens, to_storable
from tests.scripted_models import canned_answers, request_text, route_to, scripted


def _turn(i: int) -> list[ModelMessage]:
    return [
        ModelRequest(parts=[UserPromptPart(f"question-{i}")]),
        ModelResponse(parts=[ToolCallPart("marketing_answer", {
            "advice": f"answer-{i}", "action_items": [f"step-{i}"], "resources": []},
            tool_call_id=f"c{i}")]),
        ModelRequest(parts=[ToolReturnPart("marketing_answer", "Final result processed.",
                                           tool_call_id=f"c{i}")]),
    ]


def _text(messages: list[ModelMessage]) -> str:
    return json.dumps(to_storable(messages))


def _dumped(messages: list[ModelMessage]) -> Any:
    return ModelMessagesTypeAdapter.dump_python(messages, mode="json")


async def test_stored_turns_replay_as_the_history_read_as_rows(client: Any, make_user: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    async with rt.db.transaction() as conn:
        for i, turn in enumerate([_turn(0), [], _turn(1), _turn(2)]):
            await conn.execute(
                "insert into messages (conversation_id, user_id, is_from_user, content, agent,"
                " model_messages, usage, created_at) values (%s, %s, false, %s, 'marketing', %s, %s,"
                " now() - make_interval(secs => %s))",
                (conversation.id, user.id, f"answer-{i}", Jsonb(to_storable(turn)),
                 Jsonb({"history_tokens": request_tokens(turn)}), 10 - i),
            )
    cache = HistoryCache()
    for budget in (10**9, request_tokens(_turn(2))):
        rows = await rt.store.messages.model_history_within(conversation.id, budget)
        turns = await rt.store.messages.model_history_turns(conversation.id, budget)
        assert cache.load(turns) == load_history(rows)
        assert cache.load(turns) == load_history(rows)  # from the cache this time
    assert cache.stats()["misses"] == 4 and cache.stats()["hits"] >= 4
    everything = cache.load(await rt.store.messages.model_history_turns(conversation.id, 10**9))
    assert sum(isinstance(m, ModelResponse) for m in everything) == 3
    assert await rt.store.messages.model_history_turns(uuid.uuid4(), 10**9) == []


def test_unreadable_stored_messages_are_skipped() -> None:
    good = to_storable(_turn(1))
    text = json.dumps([*good, {"kind": "request", "parts": [{"part_kind": "nonsense"}]}])
    assert HistoryCache().load([text]) == load_history(good)
    later = _turn(2)
    assert HistoryCache().load(["not json", "{}", _text(later)]) == load_history(to_storable(later))


def test_what_a_run_records_on_its_messages_stays_out_of_the_cache() -> None:
    cache = HistoryCache()
    turn = _turn(1)
    turn[0].metadata = {"note": {"kept": True}}
    text = _text(turn)
    expected = _dumped(cache.load([text]))
    replayed = cache.load([text])
    # what PydanticAI does to the requests of a run: new parts lists, instructions, metadata
    request = replayed[0]
    assert isinstance(request, ModelRequest) and request.metadata is not None
    request.parts = [*request.parts, UserPromptPart("recorded by a run")]
    request.instructions = "this run's instructions"
    request.metadata["note"]["kept"] = False
    assert _dumped(cache.load([text])) == expected


def test_the_cache_keeps_to_its_size() -> None:
    texts = [_text(_turn(i)) for i in range(20)]
    cache = HistoryCache(max_bytes=len(texts[0]) * 5)
    for text in texts:
        cache.load([text])
    assert 0 < len(cache) <= 5
    assert cache.stats()["bytes"] <= cache.max_bytes
    cache.load([texts[-1]])
    assert cache.stats()["hits"] == 1  # the newest is kept
    cache.load([texts[0]])
    assert cache.stats()["misses"] == 21  # the oldest was dropped


async def test_an_engine_replays_each_stored_turn_from_its_cache(client: Any,
                                                                 make_user: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    model = scripted(canned_answers)
    engine = ConversationEngine.from_runtime(rt, model=model,
                                             triage_model=route_to(Specialist.marketing))
    for i in range(4):
        await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                             channel="web", text=f"pregunta número {i}"))
    # turns 2..4 replayed 0 + 1 + 2 stored turns validated before: 3 hits, 3 misses
    assert engine.history.stats()["hits"] == 3 and engine.history.stats()["misses"] == 3
    last_request = request_text(model.requests[-1])
    assert all(f"pregunta número {i}" in last_request for i in range(4))
    # the runs recorded nothing on the cached messages: they replay as freshly validated ones
    turns = await rt.store.messages.model_history_turns(conversation.id, 10**9)
    assert _dumped(engine.history.load(turns)) == _dumped(HistoryCache().load(turns))
