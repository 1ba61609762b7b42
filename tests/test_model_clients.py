"""The model clients a process makes: requests go over aiohttp (the OpenAI SDK's supported
transport, about half the CPU per request of httpx's own), and the runtime closes every client
it made when it closes (an aiohttp session left to the garbage collector is logged as an error
at exit). The fake OpenAI-compatible server on loopback stands in for the provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_ai import models

from ignacio_agents.domain import InboundMessage
from ignacio_agents.memory_jobs import summarizer_of
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.long_conversation import advisor, engine_settings


def _client(model: Any) -> Any:
    return getattr(model, "wrapped", model).client


async def test_model_requests_go_over_aiohttp_and_the_runtime_closes_the_clients(
        make_settings: Callable[..., Settings]) -> None:
    from httpx_aiohttp.httpx2 import AiohttpTransport

    with models.override_allow_model_requests(True), FakeOpenAIServer(advisor) as server:
        settings = engine_settings(make_settings(), server, "openai-chat:gpt-4o-mini",
                                   pydantic_ai_triage_model="openai-chat:gpt-4.1-mini")
        async with open_runtime(settings) as rt:
            engine = rt.engine
            main, triage = _client(engine.model), _client(engine.triage_model)
            summarizer = _client(summarizer_of(rt).model)  # type: ignore[attr-defined]
            assert len({id(main), id(triage), id(summarizer)}) == 3
            assert isinstance(main._client._transport, AiohttpTransport)
            user = await rt.store.users.create("+34600000123", "Ana")
            conversation = await rt.store.conversations.create(user.id)
            turn = await engine.run_turn(InboundMessage(
                user_id=user.id, conversation_id=conversation.id, channel="web",
                text="¿Cómo le pongo precio a mi producto?"))
            assert not turn.is_fallback and server.rejected == []
            assert {r.json["model"] for r in server.requests} == {"gpt-4o-mini", "gpt-4.1-mini"}
            assert not any(c.is_closed() for c in (main, triage, summarizer))
        assert all(c.is_closed() for c in (main, triage, summarizer))


def test_behind_a_proxy_the_clients_keep_httpx_own_transport(
        monkeypatch: Any, make_settings: Callable[..., Settings]) -> None:
    """aiohttp's transport would ignore HTTP(S)_PROXY; httpx's own uses it."""
    import httpx
    import httpx2

    from channels.whatsapp.client import WhatsAppClient
    from ignacio_agents.llm.servers import lean_client

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    model_http = lean_client(api_key="k")._client
    assert isinstance(model_http._transport, httpx2.AsyncHTTPTransport)
    assert any(t is not None for t in model_http._mounts.values())  # the proxy is mounted
    graph = WhatsAppClient("https://graph.facebook.com", "v24.0", "1", "t")._http
    assert isinstance(graph._transport, httpx.AsyncHTTPTransport)
    assert any(t is not None for t in graph._mounts.values())
