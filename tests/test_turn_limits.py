"""Bounded waits: a turn has one deadline across the router and every attempt, and a provider
that keeps failing opens a circuit so the next participants get the apology at once instead of
waiting out every timeout."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import Specialist
from ignacio_agents.engine import FALLBACK_MESSAGES
from ignacio_agents.engine.limits import ModelCircuit, TurnDeadline
from tests.scripted_models import answer_for, route_to, scripted
from tests.test_engine import engine_for, inbound, new_conversation


async def hanging(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    await asyncio.sleep(3600)
    return answer_for(info)


def unavailable(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise ModelHTTPError(status_code=503, model_name="scripted", body={"error": "overloaded"})


async def test_a_hanging_model_gets_the_fallback_within_the_turn_deadline(
    client: Any, make_user: Any,
) -> None:
    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    model = scripted(hanging)
    # Each call may take a minute and three are allowed: only the deadline can end it early.
    settings = {"model_attempts": 3, "model_timeout_seconds": 60.0, "turn_deadline_seconds": 4.0}
    engine = engine_for(client, model=model, triage_model=route_to(Specialist.financial),
                        settings=settings)

    started = time.monotonic()
    turn = await engine.run_turn(inbound(user, conversation, "¿Cuánto debo cobrar?"))
    elapsed = time.monotonic() - started

    assert turn.is_fallback and turn.answer.message == FALLBACK_MESSAGES["es"]
    assert turn.message.error_code == "model_timeout"
    assert len(model.requests) == 1  # the deadline, not the attempts, ended the turn
    assert elapsed < settings["model_timeout_seconds"]


async def test_a_hanging_router_leaves_the_specialist_time_to_answer(
    client: Any, make_user: Any,
) -> None:
    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    model = scripted(lambda messages, info: answer_for(info))
    settings = {"model_timeout_seconds": 60.0, "turn_deadline_seconds": 6.0}
    engine = engine_for(client, model=model, triage_model=scripted(hanging), settings=settings)

    turn = await engine.run_turn(inbound(user, conversation, "¿Cuánto debo cobrar por mi producto?"))

    assert not turn.is_fallback  # keywords routed, the specialist answered
    assert "[router unavailable]" in turn.route.reason


async def test_repeated_provider_failures_open_the_circuit_then_a_trial_call_closes_it(
    client: Any, make_user: Any,
) -> None:
    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    state = {"down": True}

    def provider(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return unavailable(messages, info) if state["down"] else answer_for(info)

    model = scripted(provider)
    settings = {"model_attempts": 1, "model_circuit_failures": 2,
                "model_circuit_cooldown_seconds": 0.5}
    engine = engine_for(client, model=model, triage_model=route_to(Specialist.financial),
                        settings=settings)

    for _ in range(2):
        turn = await engine.run_turn(inbound(user, conversation, "¿Cuánto debo cobrar?"))
        assert turn.message.error_code == "model_http_503"
    assert len(model.requests) == 2

    turn = await engine.run_turn(inbound(user, conversation, "¿Y el margen?"))
    assert turn.is_fallback and turn.message.error_code == "model_unavailable"
    assert len(model.requests) == 2  # the open circuit made no call

    state["down"] = False
    await asyncio.sleep(0.6)  # the cooldown passes: one trial call goes through
    turn = await engine.run_turn(inbound(user, conversation, "¿Y el margen?"))
    assert not turn.is_fallback and len(model.requests) == 3
    assert engine.circuit.opened_at is None


def test_the_circuit_reopens_when_its_trial_call_fails() -> None:
    now = [0.0]
    circuit = ModelCircuit(failures=3, cooldown=10.0, clock=lambda: now[0])
    for _ in range(3):
        assert circuit.allow()
        circuit.failed()
    assert not circuit.allow()
    now[0] = 10.0
    assert circuit.allow()  # half open
    circuit.failed()
    assert not circuit.allow()  # one failure is enough to open it again
    now[0] = 20.0
    assert circuit.allow()
    circuit.succeeded()
    circuit.failed()
    assert circuit.allow()  # closed again: one failure does not open it


def test_a_deadline_caps_each_step_to_what_is_left() -> None:
    deadline = TurnDeadline(30.0, started=time.monotonic() - 20.0)
    assert 9.0 < deadline.cap(60.0) <= 10.0
    assert deadline.cap(60.0, share=0.5) <= 5.0
    assert deadline.cap(2.0) == 2.0
    assert TurnDeadline(1.0, started=time.monotonic() - 5.0).remaining() == 0.0
