"""Model selection from settings, and a full turn through the real OpenAI client path against a
fake OpenAI-compatible server on loopback (selected by ``OPENAI_BASE_URL`` + ``openai-chat:``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr
from pydantic_ai import models
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel

from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine, DoneEvent, PartialEvent, RouteEvent, ToolEvent
from ignacio_agents.llm import model_string, resolve_model
from ignacio_agents.llm.provider_limits import GatedModel
from ignacio_agents.offline import OfflineModel
from ignacio_agents.settings import Settings
from tests.fakes.openai_server import FakeHTTPError, FakeOpenAIServer, tool_call

ANSWER = {"advice": "Price on value, not on cost.", "action_items": ["Interview 5 buyers"],
          "resources": ["Van Westendorp price sensitivity meter"]}


def advisor_reply(body: dict[str, Any]) -> dict[str, Any]:
    """Route to marketing; the specialist reads the profile, then answers."""
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if "route" in tools:
        return {"tool_calls": [tool_call("route", {"specialist": "marketing", "reason": "pricing",
                                                   "language": "en"})]}
    if body["messages"][-1]["role"] == "tool":
        return {"tool_calls": [tool_call("marketing_answer", ANSWER)]}
    return {"tool_calls": [tool_call("get_project_profile", {})]}


@pytest.fixture
def fake_openai() -> Any:
    with FakeOpenAIServer(advisor_reply) as server:
        yield server


@pytest.fixture
def allow_model_requests() -> Any:
    with models.override_allow_model_requests(True):
        yield


def _settings(client: Any, server: FakeOpenAIServer) -> Settings:
    return client.runtime.settings.model_copy(update={
        "openai_base_url": server.base_url, "openai_api_key": SecretStr("dummy-key"),
        "pydantic_ai_model": "openai-chat:fake-model", "pydantic_ai_max_tokens": 321,
        "pydantic_ai_temperature": 0.2,
    })


async def test_full_turn_through_the_openai_client(client: Any, make_user: Any, fake_openai: Any,
                                                   allow_model_requests: Any) -> None:
    rt = client.runtime
    user = await make_user("Ana")
    await rt.store.profiles.update(user.id, {"project_name": "Padel Now"}, source="user")
    conversation = await rt.store.conversations.create(user.id)
    engine = ConversationEngine(rt.store, rt.blobs, _settings(client, fake_openai))
    assert isinstance(engine.model, GatedModel) and engine.triage_model is engine.model
    assert isinstance(engine.model.wrapped, OpenAIChatModel)

    turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                channel="web", text="How do I price my product?"))
    await engine.aclose()

    assert not turn.is_fallback
    triage, ask_tool, final = fake_openai.requests
    for request in fake_openai.requests:
        assert request.headers["authorization"] == "Bearer dummy-key"
        assert request.json["model"] == "fake-model"
    assert "route" in triage.tool_names and triage.json["temperature"] == 0.0
    assert {"search_history", "list_files", "search_files", "read_file", "get_project_profile",
            "update_project_profile", "marketing_answer"} <= set(ask_tool.tool_names)
    assert ask_tool.json["temperature"] == 0.2
    assert 321 in (ask_tool.json.get("max_tokens"), ask_tool.json.get("max_completion_tokens"))
    tool_message = final.json["messages"][-1]
    assert tool_message["role"] == "tool" and "Padel Now" in tool_message["content"]

    assert turn.route.specialist is Specialist.marketing and turn.route.reason == "pricing"
    stored = await rt.store.messages.get(turn.message.id)
    assert stored is not None and stored.agent == "marketing"
    assert {k: stored.answer[k] for k in ANSWER} == ANSWER
    assert stored.usage["input_tokens"] == 3 * FakeOpenAIServer.prompt_tokens
    assert stored.usage["output_tokens"] == 3 * FakeOpenAIServer.completion_tokens
    assert stored.usage["requests"] == 3
    assert stored.usage["model"].endswith(":fake-model")


async def test_streamed_turn_through_the_openai_client(client: Any, make_user: Any, fake_openai: Any,
                                                       allow_model_requests: Any) -> None:
    rt = client.runtime
    user = await make_user("Ana")
    conversation = await rt.store.conversations.create(user.id)
    engine = ConversationEngine(rt.store, rt.blobs, _settings(client, fake_openai))
    events = [e async for e in engine.stream_turn(InboundMessage(
        user_id=user.id, conversation_id=conversation.id, channel="web",
        text="How do I price my product?"))]
    await engine.aclose()
    assert isinstance(events[0], RouteEvent) and events[0].specialist is Specialist.marketing
    assert [e.name for e in events if isinstance(e, ToolEvent)] == ["get_project_profile"]
    partials = [e for e in events if isinstance(e, PartialEvent)]
    assert len(partials) > 2 and partials[-1].answer["advice"] == ANSWER["advice"]
    assert any(r.json.get("stream") for r in fake_openai.requests)
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.message.answer["advice"] == ANSWER["advice"]


async def test_server_errors_become_the_fallback(client: Any, make_user: Any,
                                                 allow_model_requests: Any) -> None:
    def broken(body: dict[str, Any]) -> dict[str, Any]:
        raise FakeHTTPError(500, "upstream exploded")

    with FakeOpenAIServer(broken) as server:
        rt = client.runtime
        user = await make_user()
        conversation = await rt.store.conversations.create(user.id)
        settings = _settings(client, server).model_copy(update={"model_attempts": 1})
        engine = ConversationEngine(rt.store, rt.blobs, settings)
        turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                    channel="web", text="hola"))
        await engine.aclose()
    assert turn.is_fallback and turn.message.error_code == "model_http_500"
    assert turn.route.specialist is Specialist.general  # the router failed too: keyword routing


# --- model selection ------------------------------------------------------------------------
def _plain(**values: Any) -> Settings:
    base: dict[str, Any] = {"openai_api_key": None, "openai_base_url": None, "anthropic_api_key": None,
                            "pydantic_ai_triage_model": None}
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[call-arg]


def test_bare_names_mean_openai_chat() -> None:
    assert model_string("gpt-4") == "openai-chat:gpt-4"
    assert model_string("openai:gpt-5.2") == "openai:gpt-5.2"
    assert model_string("test") == "test"


@pytest.mark.parametrize(("values", "expected", "name"), [
    ({"pydantic_ai_model": "test"}, OfflineModel, None),
    ({"pydantic_ai_model": "gpt-4"}, OfflineModel, None),  # the spec's default, no key: offline
    ({"pydantic_ai_model": "gpt-4", "openai_api_key": "k"}, OpenAIChatModel, "gpt-4"),
    ({"pydantic_ai_model": "openai:gpt-5.2", "openai_api_key": "k"}, OpenAIResponsesModel, "gpt-5.2"),
    ({"pydantic_ai_model": "openai:gpt-5.2", "openai_api_key": "k",
      "openai_base_url": "http://127.0.0.1:9/v1"}, OpenAIChatModel, "gpt-5.2"),
    ({"pydantic_ai_model": "openai-responses:gpt-5.2", "openai_api_key": "k",
      "openai_base_url": "http://127.0.0.1:9/v1"}, OpenAIResponsesModel, "gpt-5.2"),
    ({"pydantic_ai_model": "llama3.1", "openai_base_url": "http://127.0.0.1:9/v1"},
     OpenAIChatModel, "llama3.1"),  # a local server needs no key
    ({"pydantic_ai_model": "anthropic:claude-sonnet-4-5"}, OfflineModel, None),
    ({"pydantic_ai_model": "groq:llama-3.3-70b-versatile"}, OfflineModel, None),
])
def test_model_resolution(monkeypatch: pytest.MonkeyPatch, values: dict[str, Any], expected: type,
                          name: str | None) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    model = resolve_model(_plain(**values))
    assert isinstance(model, expected)
    if name:
        assert model.model_name == name


def test_base_url_reaches_the_openai_client() -> None:
    model = resolve_model(_plain(pydantic_ai_model="openai-chat:qwen", openai_base_url="http://127.0.0.1:9/v1"))
    assert isinstance(model, OpenAIChatModel)
    assert str(model.client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"


async def test_triage_model_is_separate_when_set(client: Any) -> None:
    rt = client.runtime
    settings = _plain(pydantic_ai_model="gpt-4.1", openai_api_key="k",
                      pydantic_ai_triage_model="openai-chat:gpt-4.1-mini")
    engine = ConversationEngine(rt.store, rt.blobs, settings)
    assert engine.model.model_name == "gpt-4.1" and engine.triage_model.model_name == "gpt-4.1-mini"
    json.dumps(settings.model_dump(mode="json"))  # settings stay serialisable
