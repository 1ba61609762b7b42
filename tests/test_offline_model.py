"""The offline model: keyword routing in Spanish and English, templated typed answers in the
user's language, each visibly labelled offline, through the real engine (test settings select
it with ``PYDANTIC_AI_MODEL=test``)."""

from __future__ import annotations

from typing import Any

import pytest

from channels.whatsapp.render import answer_text
from ignacio_agents.agents.keywords import route_by_keywords
from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine, DeltaEvent, DoneEvent, PartialEvent, RouteEvent
from ignacio_agents.language import detect_language
from ignacio_agents.llm import is_offline
from ignacio_agents.offline import OfflineModel
from ignacio_agents.responses import OFFLINE_NOTICE, GeneralResponse


async def _turn(client: Any, user: Any, text: str, channel: str = "web") -> Any:
    rt = client.runtime
    conversation = await rt.store.conversations.create(user.id, channel)
    engine: ConversationEngine = rt.engine
    return await engine.run_turn(InboundMessage(
        user_id=user.id, conversation_id=conversation.id, channel=channel, text=text))


async def test_test_settings_select_the_offline_model(client: Any) -> None:
    engine = client.runtime.engine
    assert isinstance(engine.model, OfflineModel) and is_offline(engine.triage_model)


async def test_price_question_goes_to_a_specialist_with_the_offline_label(client: Any,
                                                                          make_user: Any) -> None:
    user = await make_user("Ana")
    turn = await _turn(client, user, "How do I price my product?")
    assert turn.route.specialist is not Specialist.general
    assert turn.route.language == "en"
    assert turn.message.agent == turn.route.specialist.value
    assert turn.answer.kind == turn.route.specialist.value
    assert turn.answer.offline is True and turn.message.answer["offline"] is True
    assert OFFLINE_NOTICE["en"] in turn.message.content
    assert OFFLINE_NOTICE["en"] in answer_text(turn.answer)
    assert "price my product" in turn.message.content  # the template quotes the question
    assert turn.message.usage["model"] == "offline"
    assert not turn.is_fallback


async def test_hola_is_answered_by_general_in_spanish_with_the_offline_label(client: Any,
                                                                             make_user: Any) -> None:
    user = await make_user("Ana")
    turn = await _turn(client, user, "hola", "whatsapp")
    assert turn.route.specialist is Specialist.general
    assert isinstance(turn.answer, GeneralResponse)
    assert turn.route.language == "es" and turn.answer.language == "es"
    assert answer_text(turn.answer).startswith(f"_{OFFLINE_NOTICE['es']}_")
    assert OFFLINE_NOTICE["es"] in turn.message.content


async def test_offline_model_streams_route_partials_deltas_and_done(client: Any, make_user: Any) -> None:
    user = await make_user("Ana")
    rt = client.runtime
    conversation = await rt.store.conversations.create(user.id)
    events = [e async for e in rt.engine.stream_turn(InboundMessage(
        user_id=user.id, conversation_id=conversation.id, channel="web",
        text="¿Cuánto presupuesto necesito para empezar?"))]
    assert isinstance(events[0], RouteEvent) and events[0].specialist is Specialist.financial
    partials = [e for e in events if isinstance(e, PartialEvent)]
    assert len(partials) > 1 and partials[-1].answer["kind"] == "financial"
    assert isinstance(events[-1], DoneEvent)
    streamed = "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert streamed == events[-1].message.content
    assert OFFLINE_NOTICE["es"] in streamed


@pytest.mark.parametrize(("text", "expected"), [
    ("How do I price my product?", Specialist.marketing),
    ("¿Cómo consigo mis primeros clientes?", Specialist.marketing),
    ("Necesito un presupuesto y saber mi punto de equilibrio", Specialist.financial),
    ("What database should I use for my app?", Specialist.technical),
    ("¿Cómo organizo las tareas del equipo este mes?", Specialist.project_management),
    ("hola", Specialist.general),
    ("Thanks a lot!", Specialist.general),
    ("What approach should we take?", Specialist.general),  # "app" is a whole word only
])
def test_keyword_routing(text: str, expected: Specialist) -> None:
    assert route_by_keywords(text).specialist is expected


@pytest.mark.parametrize(("text", "language"), [
    ("hola", "es"), ("¿y cómo le pongo precio?", "es"), ("How do I price my product?", "en"),
    ("hello there", "en"), ("👍", "es"),
])
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language
    assert detect_language("👍", default="en") == "en"
