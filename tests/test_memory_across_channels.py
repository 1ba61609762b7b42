"""One memory per participant, through the real engine and store: a fact from turn 5 is still
in the request of turn 400 (through the running summary, long after its turn left the
window), and in the first request of a new web conversation when it was said on WhatsApp.
The summarizer is the deterministic extract (no key), folding in the background job's body
every few turns, as the sweep would, and deliberately a little behind. The first and last turns
run through the engine; the middle ones are stored in the engine's format (it keeps the test
fast on a shared machine; the engine path is the same for every turn)."""

from __future__ import annotations

from typing import Any

from inline_snapshot import snapshot
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.memory_jobs import run_fold
from ignacio_agents.participant_memory import is_memory_message
from tests.memory_helpers import add_turn
from tests.scripted_models import answer_for, route_to, scripted

FACT = "Por cierto, tenemos 3 pilotos de pago en Valencia."
QUESTIONS = [
    "¿Cómo calculo el coste de adquisición de un cliente?",
    "¿Qué canal me recomiendas para llegar a escuelas de música?",
    "¿Cómo preparo la próxima reunión con el ayuntamiento?",
    "¿Qué debería medir cada semana?",
    "¿Cómo presento el proyecto en dos minutos?",
]
ADVICE = ("Empieza por lo que ya funciona: habla con tus clientes actuales, apunta qué valoran y "
          "repite lo que les convenció. ") * 4


def _question(turn: int) -> str:
    if turn == 5:
        return FACT
    if turn % 50 == 0:
        return f"Hemos decidido dedicar la fase {turn // 50} a las escuelas de Castellón."
    return f"{QUESTIONS[turn % len(QUESTIONS)]} (pregunta {turn})"


def _advisor(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return answer_for(info, advice=ADVICE)


def _text(messages: list[ModelMessage]) -> str:
    return "\n".join(str(p.content) for m in messages if isinstance(m, ModelRequest)
                     for p in m.parts if isinstance(p, UserPromptPart))


def _shape(messages: list[ModelMessage]) -> list[str]:
    """A request as a short list: what a reader needs to check its order and pairing."""
    out: list[str] = []
    ids: dict[str, str] = {}
    for m in messages:
        for p in m.parts:
            if isinstance(p, UserPromptPart):
                text = str(p.content)
                out.append("memory" if text.startswith("Memory:") else f"user: {text[:30]}")
            elif isinstance(p, ToolCallPart):
                call = ids.setdefault(p.tool_call_id, f"#{len(ids) + 1}")
                out.append(f"call {call}: {p.tool_name}")
            elif isinstance(p, ToolReturnPart):
                out.append(f"return {ids.get(p.tool_call_id, '(orphan)')}: {p.tool_name}")
    return out


async def test_a_fact_from_turn_5_reaches_turn_400_and_a_new_web_chat(client: Any,
                                                                     make_user: Any) -> None:
    runtime = client.runtime
    store = runtime.store
    runtime.settings = settings = runtime.settings.model_copy(update={"history_token_budget": 1500})
    user = await make_user()
    whatsapp = await store.conversations.create(user.id, "whatsapp")
    model = scripted(_advisor)
    engine = ConversationEngine(store, runtime.blobs, settings, model=model,
                                triage_model=route_to(Specialist.marketing))

    async def engine_turn(text: str, conversation: Any = whatsapp) -> None:
        result = await engine.run_turn(InboundMessage(
            user_id=user.id, conversation_id=conversation.id, channel=conversation.channel,
            text=text))
        assert not result.message.is_fallback

    for turn in range(1, 400):
        if 10 < turn < 390:  # the middle of the conversation, stored as the engine stores it
            await add_turn(store, whatsapp, _question(turn), ADVICE)
        else:
            await engine_turn(_question(turn))
        if turn % 20 == 0:
            await run_fold(runtime, whatsapp.id)  # the background fold, a few turns behind
    await engine_turn("¿Y ahora qué?")
    sent = model.requests[-1]
    assert is_memory_message(sent[0])
    assert "tenemos 3 pilotos de pago en Valencia" in _text(sent[:1])  # through the summary
    replayed = _text(sent[1:])
    assert "(pregunta 4)" not in replayed and "(pregunta 390)" not in replayed  # window moved on
    assert "(pregunta 399)" in replayed
    assert _shape(sent) == snapshot([
        "memory",
        "user: ¿Qué debería medir cada semana",
        "call #1: marketing_answer",
        "return #1: marketing_answer",
        "user: ¿Cómo presento el proyecto en ",
        "call #2: marketing_answer",
        "return #2: marketing_answer",
        "user: ¿Cómo calculo el coste de adqu",
        "call #3: marketing_answer",
        "return #3: marketing_answer",
        "user: ¿Qué canal me recomiendas para",
        "call #4: marketing_answer",
        "return #4: marketing_answer",
        "user: ¿Cómo preparo la próxima reuni",
        "call #5: marketing_answer",
        "return #5: marketing_answer",
        "user: ¿Qué debería medir cada semana",
        "call #6: marketing_answer",
        "return #6: marketing_answer",
        "user: ¿Cómo presento el proyecto en ",
        "call #7: marketing_answer",
        "return #7: marketing_answer",
        "user: ¿Y ahora qué?",
    ])

    # A new web conversation, days later: its very first request already knows.
    await run_fold(runtime, whatsapp.id)
    web = await store.conversations.create(user.id, "web")
    await engine_turn("Hola, ¿por dónde seguimos?", web)
    first = model.requests[-1]
    assert _shape(first) == snapshot(["memory", "user: Hola, ¿por dónde seguimos?"])
    memory = _text(first[:1])
    assert "From their other conversations:" in memory
    assert "whatsapp] number: Por cierto, tenemos 3 pilotos" in memory
    assert "Hemos decidido dedicar la fase 7 a las escuelas de Castellón." in memory
