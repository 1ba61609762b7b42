"""The conversation engine on a real database with scripted models (``FunctionModel``),
injected as ``ConversationEngine.from_runtime(runtime, model=..., triage_model=...)``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from channels.whatsapp.render import answer_text
from ignacio_agents.domain import ADVISORS, DeliveryStatus, InboundMessage, Specialist
from ignacio_agents.engine import (
    FALLBACK_MESSAGES,
    ConversationEngine,
    DeltaEvent,
    DoneEvent,
    PartialEvent,
    RetryEvent,
    RouteEvent,
    ToolEvent,
    TurnRejected,
    user_hash,
)
from ignacio_agents.responses import RESPONSE_TYPES, GeneralResponse, parse_answer
from ignacio_agents.store.messages import NewMessage
from tests.scripted_models import (
    CANNED,
    answer_for,
    calls_tools_then_answers,
    canned_answers,
    request_text,
    route_to,
    scripted,
)


def engine_for(client: Any, **kwargs: Any) -> ConversationEngine:
    settings_overrides = kwargs.pop("settings", {})
    rt = client.runtime
    settings = rt.settings.model_copy(update=settings_overrides)
    return ConversationEngine(rt.store, rt.blobs, settings, channels=rt.channels, **kwargs)


async def new_conversation(client: Any, user: Any, channel: str = "web") -> Any:
    return await client.runtime.store.conversations.create(user.id, channel)


def inbound(user: Any, conversation: Any, text: str, **kw: Any) -> InboundMessage:
    return InboundMessage(user_id=user.id, conversation_id=conversation.id,
                          channel=kw.pop("channel", conversation.channel), text=text, **kw)


async def stored_model_messages(client: Any, message_id: Any) -> Any:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute("select model_messages from messages where id = %s", (message_id,))
        row = await cur.fetchone()
    return row["model_messages"]


# --- routed turns ---------------------------------------------------------------------------
@pytest.mark.parametrize("specialist", ADVISORS)
async def test_routed_turn_stores_the_specialists_typed_answer(client: Any, make_user: Any,
                                                               specialist: Specialist) -> None:
    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    specialist_model = scripted(canned_answers, name="advisor-script")
    engine = engine_for(client, model=specialist_model, triage_model=route_to(specialist))

    turn = await engine.run_turn(inbound(user, conversation, "Una pregunta sobre mi proyecto"))

    # the specialist that ran is the routed one (its output tool was offered)
    assert specialist_model.infos[0].output_tools[0].name == f"{specialist.value}_answer"
    assert turn.route.specialist is specialist
    assert isinstance(turn.answer, RESPONSE_TYPES[specialist])
    stored = await client.runtime.store.messages.get(turn.message.id)
    assert stored is not None and not stored.is_from_user and not stored.is_fallback
    assert stored.agent == specialist.value
    assert stored.route_reason == "scripted route"
    assert stored.answer is not None and stored.answer["kind"] == specialist.value
    assert parse_answer(stored.answer) == turn.answer
    for key, value in CANNED[specialist].items():
        assert stored.answer[key] == value
    assert stored.content == turn.answer.to_markdown()
    usage = stored.usage or {}
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["requests"] == 2  # one for the router, one for the specialist
    assert usage["model"] == "function:advisor-script"
    assert usage["triage"]["model"] == "function:triage-script"
    assert await stored_model_messages(client, stored.id)
    assert turn.user_message.is_from_user and turn.user_message.content == "Una pregunta sobre mi proyecto"


async def test_greeting_gets_a_general_response(client: Any, make_user: Any) -> None:
    def triage(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        text = info.instructions or ""
        assert "Recent conversation" not in text  # first message of the conversation
        greeting = messages[-1].parts[-1].content.strip().lower() in {"hola", "hi", "buenas"}  # type: ignore[union-attr]
        specialist = "general" if greeting else "marketing"
        return ModelResponse(parts=[ToolCallPart("route", {
            "specialist": specialist, "reason": "greeting", "language": "es"})])

    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    engine = engine_for(client, model=scripted(canned_answers), triage_model=scripted(triage))
    turn = await engine.run_turn(inbound(user, conversation, "hola"))
    assert isinstance(turn.answer, GeneralResponse)
    assert turn.message.agent == "general" and turn.message.answer["kind"] == "general"


async def test_first_message_titles_the_conversation_once(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    engine = engine_for(client, model=scripted(canned_answers), triage_model=route_to(Specialist.marketing))
    long_text = ("¿Cómo puedo conseguir mis primeros diez clientes para una app de reservas de"
                 " pistas de pádel?")
    await engine.run_turn(inbound(user, conversation, long_text))
    await engine.run_turn(inbound(user, conversation, "Otra pregunta distinta"))
    stored = await client.runtime.store.conversations.get(conversation.id)
    assert stored.title is not None and stored.title.endswith("…")
    assert long_text.startswith(stored.title[:-1]) and len(stored.title) <= 61


async def test_a_message_the_channel_already_stored_is_not_stored_twice(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user, "whatsapp")
    store = client.runtime.store
    pre = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=True, content="hola",
        channel="whatsapp", external_id="wamid.1",
    ))
    engine = engine_for(client, model=scripted(canned_answers), triage_model=route_to(Specialist.general))
    turn = await engine.run_turn(inbound(user, conversation, "hola", message_id=pre.id,
                                         external_id="wamid.1"))
    assert turn.user_message.id == pre.id
    transcript = await store.messages.transcript(conversation.id)
    assert [m.is_from_user for m in transcript] == [True, False]
    assert turn.message.status is DeliveryStatus.pending  # WhatsApp delivers it after the turn
    assert "*Para ayudarte mejor*\n- ¿Tu proyecto?" in answer_text(turn.answer)  # rendered for WhatsApp


async def test_another_users_conversation_is_rejected_before_anything_is_stored(client: Any,
                                                                               make_user: Any) -> None:
    owner, intruder = await make_user("Owner"), await make_user("Intruder")
    conversation = await new_conversation(client, owner)
    engine = engine_for(client, model=scripted(canned_answers), triage_model=route_to(Specialist.general))
    with pytest.raises(TurnRejected):
        await engine.run_turn(InboundMessage(user_id=intruder.id, conversation_id=conversation.id,
                                             channel="web", text="hola"))
    assert await client.runtime.store.messages.transcript(conversation.id) == []


# --- failures -------------------------------------------------------------------------------
def raising(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise RuntimeError("provider exploded")


async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    await asyncio.sleep(30)
    return answer_for(info)


def invalid(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"nonsense": True})])


@pytest.mark.parametrize(("script", "attempts", "calls", "code"), [
    (raising, 3, 3, "model_error"),
    (slow, 3, 3, "model_timeout"),
    (invalid, 1, 3, "model_invalid_output"),  # the agent's own output retries: 3 invalid answers
])
async def test_failing_model_gets_the_fallback_and_the_next_turn_works(
    client: Any, make_user: Any, script: Any, attempts: int, calls: int, code: str,
) -> None:
    user = await make_user("Ana")
    conversation = await new_conversation(client, user)
    failing = scripted(script)
    # Only the hanging model needs a short timeout; the others must fail for their own reason
    # even on a loaded machine.
    timeout = 0.3 if script is slow else 10.0
    settings = {"model_attempts": attempts, "model_timeout_seconds": timeout}
    engine = engine_for(client, model=failing, triage_model=route_to(Specialist.financial),
                        settings=settings)

    turn = await engine.run_turn(inbound(user, conversation, "¿Cuánto debo cobrar?"))

    assert len(failing.requests) == calls
    assert turn.is_fallback
    assert isinstance(turn.answer, GeneralResponse)
    assert turn.answer.message == FALLBACK_MESSAGES["es"]
    assert turn.message.status is DeliveryStatus.failed and turn.message.error_code == code
    assert turn.message.agent == "financial" and turn.message.answer["kind"] == "general"
    transcript = await client.runtime.store.messages.transcript(conversation.id)
    assert (transcript[0].is_from_user, transcript[0].content) == (True, "¿Cuánto debo cobrar?")

    working = scripted(canned_answers)
    engine = engine_for(client, model=working, triage_model=route_to(Specialist.financial))
    second = await engine.run_turn(inbound(user, conversation, "¿Y el margen?"))
    assert not second.is_fallback and second.message.agent == "financial"
    # the question that failed is still in the history the model sees
    assert "¿Cuánto debo cobrar?" in request_text(working.requests[0])


async def test_a_broken_router_falls_back_to_keyword_routing(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    engine = engine_for(client, model=scripted(canned_answers), triage_model=scripted(raising))
    turn = await engine.run_turn(inbound(user, conversation, "Necesito un presupuesto para el año"))
    assert turn.route.specialist is Specialist.financial
    assert "[router unavailable]" in (turn.message.route_reason or "")
    assert not turn.is_fallback


async def test_an_unusable_language_from_the_router_is_detected_instead(client: Any,
                                                                       make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    engine = engine_for(client, model=scripted(canned_answers),
                        triage_model=route_to(Specialist.marketing, language="unknown"))
    turn = await engine.run_turn(inbound(user, conversation, "How should I price my service?"))
    assert turn.route.language == "en" and turn.answer.language == "en"


# --- streaming ------------------------------------------------------------------------------
async def test_stream_turn_emits_route_tool_partials_deltas_and_done(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    model = scripted(calls_tools_then_answers([("get_project_profile", {})]))
    engine = engine_for(client, model=model, triage_model=route_to(Specialist.technical, "en"))
    events = [e async for e in engine.stream_turn(inbound(user, conversation, "Which database?"))]

    types = [e.type for e in events]
    assert types[0] == "route" and types[-1] == "done"
    assert isinstance(events[0], RouteEvent) and events[0].language == "en"
    assert [e.name for e in events if isinstance(e, ToolEvent)] == ["get_project_profile"]
    partials = [e for e in events if isinstance(e, PartialEvent)]
    assert len(partials) > 2 and all(p.answer["kind"] == "technical" for p in partials)
    assert partials[-1].answer["implementation_steps"] == CANNED[Specialist.technical]["implementation_steps"]
    done = events[-1]
    assert isinstance(done, DoneEvent)
    assert "".join(e.text for e in events if isinstance(e, DeltaEvent)) == done.message.content
    assert done.message.agent == "technical" and done.user_message.content == "Which database?"
    for e in events:  # what the web layer sends as SSE data
        assert e.model_dump(mode="json")["type"] == e.type


async def test_stream_retry_is_announced(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    calls = {"n": 0}

    def flaky(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("503")
        return answer_for(info)

    engine = engine_for(client, model=scripted(flaky), triage_model=route_to(Specialist.marketing),
                        settings={"model_attempts": 2})
    events = [e async for e in engine.stream_turn(inbound(user, conversation, "Precio"))]
    assert [e.attempt for e in events if isinstance(e, RetryEvent)] == [2]
    assert isinstance(events[-1], DoneEvent) and not events[-1].message.is_fallback


async def test_consumer_leaving_early_does_not_cancel_the_turn(client: Any, make_user: Any) -> None:
    user = await make_user()
    conversation = await new_conversation(client, user)
    release = asyncio.Event()

    async def waits(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await release.wait()
        return answer_for(info)

    engine = engine_for(client, model=scripted(waits), triage_model=route_to(Specialist.marketing))
    stream = engine.stream_turn(inbound(user, conversation, "¿Cómo vendo más?"))
    first = await anext(stream)
    assert isinstance(first, RouteEvent)
    await stream.aclose()  # the client went away mid-turn
    release.set()
    await engine.wait_idle()
    transcript = await client.runtime.store.messages.transcript(conversation.id)
    assert [m.is_from_user for m in transcript] == [True, False]
    assert transcript[1].agent == "marketing" and not transcript[1].is_fallback


# --- observability --------------------------------------------------------------------------
async def test_turn_span_has_conversation_and_hashed_user_never_the_phone(client: Any,
                                                                         make_user: Any) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = trace.get_tracer_provider()
    provider = getattr(provider, "provider", provider)  # logfire wraps the SDK provider
    assert isinstance(provider, TracerProvider), "the app configures logfire's SDK provider"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    user = await make_user("Ana", phone="+34612345678")
    conversation = await new_conversation(client, user)
    engine = engine_for(client, model=scripted(canned_answers), triage_model=route_to(Specialist.marketing))
    await engine.run_turn(inbound(user, conversation, "Mi número es secreto"))

    spans = exporter.get_finished_spans()
    exporter.shutdown()
    turn_span = next(s for s in spans if s.name == "ignacio turn")
    assert turn_span.attributes["conversation_id"] == str(conversation.id)
    assert turn_span.attributes["user_hash"] == user_hash(user.id)
    assert turn_span.attributes["specialist"] == "marketing"
    for span in spans:
        for value in (span.attributes or {}).values():
            assert "612345678" not in str(value)
            assert "Mi número es secreto" not in str(value)  # include_content=False
