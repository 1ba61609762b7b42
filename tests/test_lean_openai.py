"""The lean OpenAI client sends exactly what the SDK sends, without the SDK's request walk:
real requests of an advisor conversation replayed through both clients against the strict fake
OpenAI server, and the chat parameter types checked for what would make the walk change a
request (an alias or a format)."""

from __future__ import annotations

from typing import Any

import pytest
import typing_extensions as typing
from openai import AsyncOpenAI
from openai._utils import PropertyInfo
from openai.resources.chat.completions import completions as completions_module
from openai.types.beta.response_create_params import ResponseCreateParamsNonStreaming
from openai.types.chat import completion_create_params
from pydantic_ai import models

from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.llm import resolve_model
from ignacio_agents.llm.lean_openai import LeanAsyncOpenAI, LeanCompletions, plain_json
from tests.fakes.openai_server import FakeOpenAIServer
from tests.long_conversation import advisor, engine_settings

# Headers that differ between any two requests of one client.
_PER_REQUEST = {"content-length", "x-stainless-retry-count", "x-stainless-read-timeout"}


def _comparable(request: Any) -> tuple[dict[str, Any], dict[str, str]]:
    return request.json, {k: v for k, v in request.headers.items() if k not in _PER_REQUEST}


async def test_the_advisor_s_requests_are_sent_as_the_sdk_sends_them(
        client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[object] = []
    sdk_walk = completions_module.async_maybe_transform

    async def counted(data: object, expected_type: object) -> Any:
        walked.append(data)
        return await sdk_walk(data, expected_type)

    monkeypatch.setattr(completions_module, "async_maybe_transform", counted)
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    with models.override_allow_model_requests(True), FakeOpenAIServer(advisor) as server:
        settings = engine_settings(rt.settings, server, "openai-chat:gpt-4o-mini")
        model = resolve_model(settings)
        assert isinstance(model.client, LeanAsyncOpenAI)  # type: ignore[attr-defined]
        engine = ConversationEngine(rt.store, rt.blobs, settings)
        for turn in range(3):
            await engine.run_turn(InboundMessage(
                user_id=user.id, conversation_id=conversation.id, channel="whatsapp",
                text=f"Turno {turn}: ¿cómo le pongo precio a mi producto?"))
        await engine.aclose()
        recorded = [r.json for r in server.requests]
        assert walked == []  # PydanticAI's requests took the lean path
        assert server.rejected == [] and len(recorded) >= 6
        assert any("tools" in body for body in recorded)
        assert any(m["role"] == "tool" for body in recorded for m in body["messages"])

        lean = LeanAsyncOpenAI(base_url=server.base_url, api_key="dummy")
        stock = AsyncOpenAI(base_url=server.base_url, api_key="dummy")
        calls = [*recorded, {**recorded[-1], "stream": True, "stream_options": {"include_usage": True}}]
        for body in calls:
            sent = []
            for sdk in (stock, lean):
                answer = await sdk.chat.completions.create(**body, extra_headers={"x-turn": "1"})
                if body.get("stream"):
                    answer = [chunk async for chunk in answer]  # type: ignore[union-attr]
                sent.append((_comparable(server.requests[-1]), answer))
            (stock_request, stock_answer), (lean_request, lean_answer) = sent
            assert len(walked) == calls.index(body) + 1  # the stock client's walk only
            assert lean_request == stock_request
            assert type(lean_answer) is type(stock_answer)
            assert server.requests[-1].headers["x-turn"] == "1"


async def test_what_is_not_plain_json_goes_through_the_sdk() -> None:
    with FakeOpenAIServer(lambda _body: {"content": "hola"}) as server:
        lean = LeanAsyncOpenAI(base_url=server.base_url, api_key="dummy")
        messages = ({"role": "user", "content": "hola"},)  # a tuple: the SDK makes it a list
        assert not plain_json({"messages": messages})
        answer = await lean.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert answer.choices[0].message.content == "hola"
        assert server.requests[-1].json["messages"] == [{"role": "user", "content": "hola"}]
        # with_options (PydanticAI's per-request retries) keeps the lean completions
        assert isinstance(lean.with_options(max_retries=0).chat.completions, LeanCompletions)


def _property_infos(tp: Any, seen: set[int]) -> list[PropertyInfo]:
    """Every ``PropertyInfo`` reachable from a parameter type (what the SDK's walk obeys)."""
    if id(tp) in seen:
        return []
    seen.add(id(tp))
    found: list[PropertyInfo] = []
    if typing.is_typeddict(tp):
        for hint in typing.get_type_hints(tp, include_extras=True).values():
            found += _property_infos(hint, seen)
        return found
    if typing.get_origin(tp) is typing.Annotated:
        found += [m for m in tp.__metadata__ if isinstance(m, PropertyInfo)]
    for arg in typing.get_args(tp):
        found += _property_infos(arg, seen)
    return found


@pytest.mark.parametrize("params", [completion_create_params.CompletionCreateParamsNonStreaming,
                                    completion_create_params.CompletionCreateParamsStreaming])
def test_the_chat_parameters_declare_nothing_the_walk_would_change(params: Any) -> None:
    # The walker finds them where they exist (a beta request renames a header field) ...
    assert any(i.alias for i in _property_infos(ResponseCreateParamsNonStreaming, set()))
    # ... and the chat request declares no alias and no format: its walk changes nothing.
    infos = _property_infos(params, set())
    assert [i for i in infos if i.alias or i.format] == []
