"""The offline model: Ignacio without any AI account.

A PydanticAI ``FunctionModel`` that routes by keywords (``agents.keywords``) and answers with
templated typed answers in the user's language, every one marked ``offline=True`` so the web
and WhatsApp renderings show a visible notice. It keeps the whole app usable on a laptop, lets
browser tests run end to end, and is the honest floor of the routing eval (not model quality).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel
from pydantic_ai.profiles import ModelProfile

from ignacio_agents.agents.keywords import route_by_keywords
from ignacio_agents.agents.routing import ANSWER_TOOLS, ROUTE_TOOL, language_from_hint
from ignacio_agents.domain import ATTACHMENT_NOTE_PREFIX, Specialist
from ignacio_agents.language import DEFAULT_LANGUAGE, detect_language
from ignacio_agents.memory import PinnedPromptPart


# --- templated answers --------------------------------------------------------------------
def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_TEMPLATES: dict[Specialist, dict[str, dict[str, Any]]] = {
    Specialist.marketing: {
        "es": {
            "advice": "Sobre «{q}»: sin un modelo de IA no puedo analizar tu caso, pero un buen punto "
                      "de partida es concretar a quién te diriges, qué problema le resuelves y "
                      "comprobarlo con clientes reales antes de invertir en promoción.",
            "action_items": ["Describe a tu cliente ideal en una frase.",
                             "Habla con cinco clientes potenciales esta semana.",
                             "Elige un solo canal y mide un único indicador durante un mes."],
            "resources": ["Lean Canvas", "Value Proposition Canvas"],
        },
        "en": {
            "advice": "About \"{q}\": without an AI model I cannot analyse your case, but a good "
                      "starting point is to pin down who you serve, which problem you solve for "
                      "them, and to check it with real customers before spending on promotion.",
            "action_items": ["Describe your ideal customer in one sentence.",
                             "Talk to five potential customers this week.",
                             "Pick one channel and track a single metric for a month."],
            "resources": ["Lean Canvas", "Value Proposition Canvas"],
        },
    },
    Specialist.technical: {
        "es": {
            "solution": "Sobre «{q}»: sin un modelo de IA no puedo revisar tu caso. Empieza por la "
                        "solución más simple que valide la idea (a menudo una herramienta no-code) "
                        "y deja la arquitectura a medida para cuando tengas usuarios.",
            "implementation_steps": ["Escribe las tres funciones imprescindibles.",
                                     "Prueba una herramienta existente antes de programar.",
                                     "Mide el uso real antes de ampliar."],
            "considerations": ["Protección de datos personales (RGPD).",
                               "Coste mensual de las herramientas."],
        },
        "en": {
            "solution": "About \"{q}\": without an AI model I cannot review your case. Start with "
                        "the simplest solution that validates the idea (often a no-code tool) and "
                        "keep custom architecture for when you have users.",
            "implementation_steps": ["Write down the three must-have features.",
                                     "Try an existing tool before writing code.",
                                     "Measure real usage before expanding."],
            "considerations": ["Personal data protection (GDPR).", "Monthly cost of the tools."],
        },
    },
    Specialist.project_management: {
        "es": {
            "recommendations": "Sobre «{q}»: sin un modelo de IA no puedo planificar tu caso. Divide "
                               "el trabajo en entregas pequeñas con fecha y responsable, y revisa "
                               "el avance cada semana.",
            "timeline_suggestions": ["Semana 1: objetivos y tareas principales.",
                                     "Semanas 2-4: primera entrega pequeña.",
                                     "Cada semana: revisión de 30 minutos."],
            "risk_factors": ["Alcance que crece sin control.", "Tareas sin responsable claro."],
        },
        "en": {
            "recommendations": "About \"{q}\": without an AI model I cannot plan your case. Split "
                               "the work into small deliverables with a date and an owner, and "
                               "review progress every week.",
            "timeline_suggestions": ["Week 1: goals and main tasks.",
                                     "Weeks 2-4: a first small deliverable.",
                                     "Every week: a 30-minute review."],
            "risk_factors": ["Scope creep.", "Tasks without a clear owner."],
        },
    },
    Specialist.financial: {
        "es": {
            "analysis": "Sobre «{q}»: sin un modelo de IA no puedo analizar tus números. Empieza por "
                        "tus costes reales (fijos y variables) y por cuánto estaría dispuesto a "
                        "pagar tu cliente; con eso calculas margen y punto de equilibrio.",
            "recommendations": ["Haz una hoja con costes fijos y variables mensuales.",
                                "Calcula el margen por unidad vendida."],
            "key_figures": ["Punto de equilibrio = costes fijos / margen por unidad."],
            "risks": ["Subestimar costes.", "Depender de un solo cliente o subvención."],
        },
        "en": {
            "analysis": "About \"{q}\": without an AI model I cannot analyse your numbers. Start "
                        "with your real costs (fixed and variable) and what your customer would "
                        "pay; from that you get your margin and break-even point.",
            "recommendations": ["Build a sheet of monthly fixed and variable costs.",
                                "Work out the margin per unit sold."],
            "key_figures": ["Break-even = fixed costs / margin per unit."],
            "risks": ["Underestimating costs.", "Depending on a single customer or grant."],
        },
    },
    Specialist.general: {
        "es": {
            "message": "¡Hola! Soy Ignacio, tu asesor para proyectos. Ahora mismo funciono sin "
                       "conexión a un modelo de IA, así que mis respuestas son plantillas. "
                       "Pregúntame por marketing, tecnología, gestión del proyecto o finanzas.",
            "follow_up_questions": ["¿En qué consiste tu proyecto?",
                                    "¿Qué te gustaría conseguir este mes?"],
        },
        "en": {
            "message": "Hi! I'm Ignacio, your project advisor. Right now I run without an AI "
                       "model, so my answers are templates. Ask me about marketing, technology, "
                       "project management or finances.",
            "follow_up_questions": ["What is your project about?",
                                    "What would you like to achieve this month?"],
        },
    },
}


def template_answer(specialist: Specialist, language: str, question: str) -> dict[str, Any]:
    """The offline answer's tool-call arguments (validated by the specialist's output type)."""
    lang = language if language in ("es", "en") else "en"
    template = _TEMPLATES[specialist][lang]
    args: dict[str, Any] = {k: (v.format(q=_quote(question)) if isinstance(v, str) else list(v))
                            for k, v in template.items()}
    args["offline"] = True
    return args


# --- the model ----------------------------------------------------------------------------

def latest_user_text(messages: list[ModelMessage]) -> str:
    """The participant's own words in the newest request (not the engine's attachment notes nor
    the participant's memory, which are meant for the model and must not be quoted back)."""
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        texts: list[str] = []
        for part in message.parts:
            if isinstance(part, UserPromptPart) and not isinstance(part, PinnedPromptPart):
                content = part.content
                if isinstance(content, str):
                    texts.append(content)
                else:
                    texts.extend(c for c in content if isinstance(c, str))
        if texts:
            lines = "\n".join(texts).splitlines()
            return "\n".join(ln for ln in lines if not ln.startswith(ATTACHMENT_NOTE_PREFIX))
    return ""


def _decide(messages: list[ModelMessage], info: AgentInfo) -> tuple[str, dict[str, Any]] | None:
    if not info.output_tools:
        return None
    tool = info.output_tools[0].name
    text = latest_user_text(messages)
    hinted = language_from_hint(info.instructions)
    if tool == ROUTE_TOOL:
        route = route_by_keywords(text, hinted or DEFAULT_LANGUAGE)
        return tool, route.model_dump(mode="json")
    specialist = ANSWER_TOOLS.get(tool)
    if specialist is None:
        return None
    language = hinted or detect_language(text)
    return tool, template_answer(specialist, language, text)


async def _respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    decided = _decide(messages, info)
    if decided is None:
        return ModelResponse(parts=[TextPart("Offline mode: no AI model is configured.")])
    tool, args = decided
    return ModelResponse(parts=[ToolCallPart(tool, args)])


def _streamer(pause: float) -> Callable[..., AsyncIterator[str | dict[int, DeltaToolCall]]]:
    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | dict[int, DeltaToolCall]]:
        decided = _decide(messages, info)
        if decided is None:
            yield "Offline mode: no AI model is configured."
            return
        tool, args = decided
        payload = json.dumps(args, ensure_ascii=False)
        for i in range(0, len(payload), 48):
            first = i == 0
            if pause and not first:
                await asyncio.sleep(pause)
            yield {0: DeltaToolCall(name=tool if first else None, json_args=payload[i : i + 48],
                                    tool_call_id="offline-1" if first else None)}

    return stream


class OfflineModel(FunctionModel):
    """Deterministic keyword routing and templated answers, labelled offline. Sees no images.
    ``pause``: seconds between streamed pieces (``OFFLINE_STREAM_CHUNK_SECONDS``)."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__(_respond, stream_function=_streamer(pause), model_name="offline",
                         profile=ModelProfile(supports_image_input=False))
