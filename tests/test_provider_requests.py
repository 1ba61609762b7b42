"""Requests every provider accepts, checked where they leave: the real PydanticAI OpenAI client
against the strict fake OpenAI server (images only for models that see them, Ollama's and
vLLM's own profiles, one retry with a smaller history after ``context_length_exceeded``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic_ai import models
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.vllm import VLLMProvider

from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.llm import known_to_see_images, resolve_model
from ignacio_agents.llm.servers import server_kind
from ignacio_agents.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, ModelSpec, tool_call
from tests.long_conversation import advisor, engine_settings, question, run_conversation
from tests.test_memory import _image_attachment


@pytest.fixture
def allow_model_requests() -> Any:
    with models.override_allow_model_requests(True):
        yield


def _image_parts(request: Any) -> list[dict[str, Any]]:
    return [p for m in request.json["messages"] if isinstance(m.get("content"), list)
            for p in m["content"] if p.get("type") == "image_url"]


@pytest.mark.parametrize(("model", "sends_image"), [("gpt-4", False), ("gpt-4o-mini", True)])
async def test_a_photo_is_answered_and_sent_as_an_image_only_to_models_that_see(
        client: Any, make_user: Any, allow_model_requests: Any, model: str, sends_image: bool) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    attachment = await _image_attachment(rt, user)
    with FakeOpenAIServer(advisor) as server:
        engine = ConversationEngine(rt.store, rt.blobs, engine_settings(rt.settings, server,
                                                                        f"openai-chat:{model}"))
        turn = await engine.run_turn(InboundMessage(
            user_id=user.id, conversation_id=conversation.id, channel="whatsapp",
            text="Turno 1: ¿qué te parece el logo?", attachments=[attachment]))
        await engine.aclose()
    assert server.rejected == [] and not turn.is_fallback
    specialist = server.requests[-1]
    assert bool(_image_parts(specialist)) is sends_image
    # the reference and the caption always reach the model
    assert "logo.png" in json.dumps(specialist.json["messages"], ensure_ascii=False)
    assert "qué te parece el logo" in json.dumps(specialist.json["messages"], ensure_ascii=False)


async def test_image_input_setting_overrides_the_known_list(client: Any, make_user: Any,
                                                           allow_model_requests: Any) -> None:
    rt = client.runtime
    with FakeOpenAIServer(advisor) as server:
        off = engine_settings(rt.settings, server, "openai-chat:gpt-4o-mini", pydantic_ai_image_input="off")
        on = engine_settings(rt.settings, server, "openai-chat:gpt-4", pydantic_ai_image_input="on")
        assert not ConversationEngine(rt.store, rt.blobs, off).send_images
        assert ConversationEngine(rt.store, rt.blobs, on).send_images
    assert known_to_see_images("llava:13b") and not known_to_see_images("llama3.1")


def test_the_server_kind_is_guessed_from_the_url() -> None:
    assert server_kind("http://localhost:11434/v1") == "ollama"
    assert server_kind("https://ollama.internal/v1") == "ollama"
    assert server_kind("http://gpu-box:8000/v1") == "vllm"
    assert server_kind("https://api.together.xyz/v1") == "openai"


def _tool(request: Any, name: str) -> dict[str, Any]:
    return next(t["function"] for t in request.json["tools"] if t["function"]["name"] == name)


def _pydantic_ai_profile(kind: str, model: str) -> Any:
    provider = (OllamaProvider if kind == "ollama" else VLLMProvider)(base_url="http://127.0.0.1:9/v1")
    return OpenAIChatModel(model, provider=provider).profile


@pytest.mark.parametrize("kind", ["ollama", "vllm"])
async def test_local_servers_get_their_own_pydantic_ai_profile(client: Any, make_user: Any,
                                                               allow_model_requests: Any, kind: str) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    with FakeOpenAIServer(advisor) as server:
        settings = engine_settings(rt.settings, server, "openai-chat:llama3.1", openai_compatible=kind,
                                   pydantic_ai_max_tokens=700)
        engine = ConversationEngine(rt.store, rt.blobs, settings)
        assert engine.model.system == kind
        turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                    channel="web", text=question(1)))
        await engine.aclose()
    assert not turn.is_fallback and server.rejected == []
    route_request, answer_request = server.requests
    profile = _pydantic_ai_profile(kind, "llama3.1")
    for request in (route_request, answer_request):
        # max_tokens, never max_completion_tokens (Ollama ignores the latter)
        assert "max_completion_tokens" not in request.json and request.json["max_tokens"] > 0
        # strict tool definitions only where PydanticAI's profile for the server allows them:
        # never on Ollama; vLLM implements them
        output = _tool(request, "route") if request is route_request else _tool(request, "marketing_answer")
        allows_strict = profile.get("openai_supports_strict_tool_definition", True) is not False
        assert allows_strict is (kind == "vllm")
        assert output.get("strict", False) is allows_strict
    # the specialist enum is inlined, not behind a $ref (llama's profile inlines $defs)
    route_schema = _tool(route_request, "route")["parameters"]
    assert "$defs" not in route_schema and "$ref" not in json.dumps(route_schema)
    assert "marketing" in route_schema["properties"]["specialist"]["enum"]
    # the specialist asks for one tool call at a time
    assert answer_request.json["parallel_tool_calls"] is False
    # the window is Ollama's default 4k unless configured; vLLM's unknown window is assumed 8k
    assert engine.context_window == (4096 if kind == "ollama" else 8192)


async def test_the_openai_profile_differs_where_local_servers_need_it() -> None:
    settings = Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1",  # type: ignore[call-arg]
                        pydantic_ai_model="openai-chat:llama3.1", openai_compatible="openai")
    model = resolve_model(settings)
    assert model.system == "openai" and model.profile.get("openai_chat_supports_max_completion_tokens", True)


async def test_context_too_long_is_retried_once_with_a_smaller_history(
        client: Any, make_user: Any, allow_model_requests: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    # The server's gpt-4 has a smaller window than the engine was told: the engine's own fit
    # cannot help, only the provider's 400 tells.
    small = {"gpt-4": ModelSpec(5000, "cl100k_base")}
    with FakeOpenAIServer(advisor, models=small, fixed_usage=False) as server:
        settings = engine_settings(rt.settings, server, "openai-chat:gpt-4")
        engine = ConversationEngine(rt.store, rt.blobs, settings)
        run = await run_conversation(engine, server, user.id, conversation.id, 8)
        await engine.aclose()
    assert run.fallbacks == 0
    codes = {r.error.code for r in server.rejected}
    assert codes == {"context_length_exceeded"}, "the scenario must hit the provider's limit"
    # each rejection was followed by a request that fitted
    for rejection in server.rejected:
        after = server.requests[server.requests.index(rejection.request) + 1]
        assert after.prompt_tokens < rejection.request.prompt_tokens


# --- the fake itself is as strict as OpenAI --------------------------------------------------
def _post(server: FakeOpenAIServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10)


def test_the_fake_rejects_what_openai_rejects() -> None:
    with FakeOpenAIServer(lambda body: {"content": "ok"}) as server:
        too_long = _post(server, {"model": "gpt-4", "max_tokens": 2000,
                                  "messages": [{"role": "user", "content": "palabra " * 7000}]})
        image = _post(server, {"model": "gpt-4", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "mira"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]})
        image_ok = _post(server, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]})
        orphan = _post(server, {"model": "gpt-4", "messages": [
            {"role": "user", "content": "hola"},
            {"role": "tool", "tool_call_id": "call_x", "content": "[]"}]})
        unanswered = _post(server, {"model": "gpt-4", "messages": [
            {"role": "user", "content": "hola"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call("search_files", {}, "call_y")]},
            {"role": "user", "content": "¿y?"}]})
        unknown = _post(server, {"model": "gpt-9", "messages": [{"role": "user", "content": "hola"}]})
    assert too_long.status_code == 400
    error = too_long.json()["error"]
    assert (error["code"], error["type"], error["param"]) == ("context_length_exceeded",
                                                             "invalid_request_error", "messages")
    assert "maximum context length is 8192 tokens" in error["message"]
    assert image.status_code == 400 and image.json()["error"]["param"] == "messages.[0].content.[1].type"
    assert image_ok.status_code == 200
    assert orphan.status_code == 400 and "role 'tool' must be a response" in orphan.json()["error"]["message"]
    assert unanswered.status_code == 400 and "call_y" in unanswered.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert len(server.rejected) == 5
