"""Per-provider limits: requests in flight never exceed the cap, and a provider's 429 pauses
every request to it and is retried instead of failing the turn."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ignacio_agents.engine import ConversationEngine
from ignacio_agents.llm.provider_limits import GatedModel, ProviderGate, ProviderGates


class Provider:
    """A model provider that counts requests in flight and answers 429 when told to."""

    def __init__(self, rate_limited: int = 0):
        self.in_flight = 0
        self.most_in_flight = 0
        self.calls = 0
        self.rate_limited = rate_limited

    async def answer(self, _messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
        self.calls += 1
        if self.rate_limited:
            self.rate_limited -= 1
            raise ModelHTTPError(429, "fake", body={"error": {"message": "Rate limit reached"}})
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return ModelResponse(parts=[TextPart("ok")])


def gated(provider: Provider, cap: int) -> tuple[Agent[None, str], ProviderGate]:
    gates = ProviderGates(cap, min_backoff=0.01, max_backoff=0.05)
    model = gates.wrap(FunctionModel(provider.answer))
    assert isinstance(model, GatedModel)
    return Agent(model), model.gate


async def test_requests_in_flight_never_exceed_the_cap() -> None:
    provider = Provider()
    agent, _gate = gated(provider, cap=3)
    results = await asyncio.gather(*[agent.run("hola") for _ in range(12)])
    assert [r.output for r in results] == ["ok"] * 12
    assert provider.most_in_flight == 3


async def test_a_429_is_waited_out_and_retried_not_failed() -> None:
    provider = Provider(rate_limited=2)
    agent, gate = gated(provider, cap=4)
    result = await agent.run("hola")
    assert result.output == "ok"
    assert gate.throttled == 2 and provider.calls == 3


async def test_a_429_pauses_every_request_to_that_provider() -> None:
    gate = ProviderGate("fake", 4, min_backoff=0.01)
    assert gate.slow_down(retry_after=None) == pytest.approx(0.01)
    assert gate.slow_down(retry_after=None) == pytest.approx(0.02)  # doubles while it lasts
    assert gate.slow_down(retry_after=0.03) == pytest.approx(0.03)  # the provider's word wins
    started: list[str] = []

    async def other_turn() -> None:
        await gate.wait_turn()
        started.append("other")

    waiting = asyncio.create_task(other_turn())
    await asyncio.sleep(0)
    assert started == []  # paused, not sent into the 429
    await waiting
    gate.succeeded()
    assert gate.slow_down(retry_after=None) == pytest.approx(0.01)  # back-off reset


async def test_a_provider_that_never_recovers_still_fails() -> None:
    provider = Provider(rate_limited=100)
    agent, gate = gated(provider, cap=2)
    gate.max_throttled_attempts = 3
    with pytest.raises(ModelHTTPError):
        await agent.run("hola")
    assert provider.calls == 3


async def test_other_errors_are_not_retried_by_the_gate() -> None:
    calls = 0

    async def broken(_m: list[ModelMessage], _i: AgentInfo) -> ModelResponse:
        nonlocal calls
        calls += 1
        raise ModelHTTPError(401, "fake", body={"error": {"message": "bad key"}})

    agent = Agent(ProviderGates(2).wrap(FunctionModel(broken)))
    with pytest.raises(ModelHTTPError):
        await agent.run("hola")
    assert calls == 1


def test_the_engine_gates_the_models_it_resolves_with_one_gate_per_provider(
        settings: Any, make_settings: Any) -> None:
    configured = make_settings(pydantic_ai_model="openai:gpt-4o",
                               pydantic_ai_triage_model="openai:gpt-4o-mini",
                               openai_api_key="sk-test", model_max_concurrency=5)
    engine = ConversationEngine(None, None, configured)  # type: ignore[arg-type]
    assert isinstance(engine.model, GatedModel) and isinstance(engine.triage_model, GatedModel)
    assert engine.model.gate is engine.triage_model.gate
    assert engine.model.gate.max_concurrent == 5
    assert engine.model.model_name == "gpt-4o"
    offline = ConversationEngine(None, None, make_settings(pydantic_ai_model="offline"))  # type: ignore[arg-type]
    assert not isinstance(offline.model, GatedModel)
