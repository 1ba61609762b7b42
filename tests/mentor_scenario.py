"""A participant's week that fills every kind of attention-queue item, through the real engine
(scripted models at the provider boundary) and the store calls channels make. Used by the
queue tests and by the browser tests' server."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ignacio_agents.agents.routing import ROUTE_TOOL
from ignacio_agents.domain import DeliveryStatus, InboundMessage
from ignacio_agents.engine import ConversationEngine

ASK_PERSON = "quiero hablar con una persona"
OUT_OF_SCOPE = "¿Qué tiempo hará mañana en Sevilla?"
BREAKS = "Esta pregunta hace fallar al modelo"
REPEATED = "¿Cómo calculo el precio de mi producto?"


def _text(messages: list[Any]) -> str:
    """The newest user words (a stored request without an answer merges with the next one)."""
    from pydantic_ai.messages import ModelRequest, UserPromptPart

    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def scenario_model() -> FunctionModel:
    """Router and specialists in one: a person, the weather, a failure, the rest general."""

    async def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        text = _text(messages)
        tool = info.output_tools[0].name
        if tool == ROUTE_TOOL:
            specialist = "human" if text == ASK_PERSON else "general"
            return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
                "reason": "scripted", "specialist": specialist, "language": "es",
                "out_of_scope": text == OUT_OF_SCOPE})])
        if text == BREAKS:
            raise RuntimeError("the provider is down")
        return ModelResponse(parts=[ToolCallPart(tool, {
            "message": f"Respuesta a: {text}", "follow_up_questions": []})])

    return FunctionModel(respond, model_name="scenario")


async def seed_attention(runtime: Any, participant: Any) -> dict[str, Any]:
    """Run the turns; return the conversation and the answers the test rates or fails."""
    store = runtime.store
    settings = runtime.settings.model_copy(update={"model_attempts": 1})
    model = scenario_model()
    engine = ConversationEngine(store, runtime.blobs, settings, model=model, triage_model=model,
                                channels=runtime.channels, jobs=runtime.jobs)
    conversation = await store.conversations.create(participant.id, "web", "Mi semana")

    async def turn(text: str) -> Any:
        return await engine.run_turn(InboundMessage(
            user_id=participant.id, conversation_id=conversation.id, channel="web", text=text))

    first = await turn("Hola, ¿me ayudas con mi plan de empresa?")
    await turn(ASK_PERSON)
    await turn(OUT_OF_SCOPE)
    await turn(BREAKS)
    for _ in range(3):
        last = await turn(REPEATED)
    # A WhatsApp-style delivery failure on an answer (what the delivery loop stores).
    await store.messages.set_status(last.message.id, DeliveryStatus.failed, "131026")
    return {"conversation": conversation, "rated": first.message}
