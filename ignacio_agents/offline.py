"""The offline model: Ignacio without any AI account.

A PydanticAI ``FunctionModel`` that routes by keywords (Spanish and English) and answers with
templated typed answers in the user's language, every one marked ``offline=True`` so the web
and WhatsApp renderings show a visible notice. It keeps the whole app usable on a laptop, lets
browser tests run end to end, and is the honest floor of the routing eval (not model quality).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator
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

from ignacio_agents.agents.routing import ANSWER_TOOLS, ROUTE_TOOL, Route, language_from_hint
from ignacio_agents.domain import Specialist

DEFAULT_LANGUAGE = "es"

# Word stems (accents removed, lower case) that point at a specialist. A message matching none
# is for the general advisor (greetings, thanks, small talk, unclear requests).
KEYWORDS: dict[Specialist, tuple[str, ...]] = {
    Specialist.financial: (
        "financ", "finanz", "dinero", "money", "presupuest", "budget", "coste", "costo", "cost",
        "gasto", "expens", "ingreso", "revenue", "income", "benefici", "profit", "margen", "margin",
        "invers", "invest", "subvencion", "grant", "caja", "cash", "flujo", "rentab", "break-even",
        "equilibrio", "valoracion", "valuation", "impuesto", "tax", "iva", "euro", "dolar", "dollar",
        "prestamo", "loan", "capital", "ronda", "contab", "account", "factur", "invoice", "salario",
        "salary", "sueldo", "nomina", "payroll", "burn", "runway", "fundrais",
    ),
    Specialist.marketing: (
        "marketing", "mercado", "market", "client", "customer", "marca", "brand", "precio", "price",
        "pricing", "publicidad", "advertis", "anunci", "ads", "campan", "campaign", "redes",
        "social", "instagram", "linkedin", "tiktok", "seo", "venta", "vend", "sales", "sell",
        "audiencia", "audience", "posicion", "position", "comunicacion", "newsletter", "promo",
        "competenc", "competit", "usuario", "segment", "embudo", "funnel", "captar", "acquisition",
        "propuesta de valor", "value proposition",
    ),
    Specialist.technical: (
        "tecnic", "technic", "tecnolog", "technolog", "tech", "app", "aplicacion", "software",
        "codigo", "code", "coding", "base de datos", "database", "servidor", "server", "api",
        "cloud", "nube", "hosting", "desarroll", "develop", "stack", "python", "javascript",
        "react", "bug", "seguridad", "security", "plataforma", "platform", "website", "pagina web",
        "integra", "backend", "frontend", "deploy", "despleg", "arquitectura", "architecture",
        "no-code", "nocode", "automatiz", "automat", "datos", "data",
    ),
    Specialist.project_management: (
        "planific", "planning", "plan de trabajo", "cronograma", "timeline", "calendario",
        "schedule", "deadline", "plazo", "hito", "milestone", "tarea", "task", "equipo", "team",
        "priori", "roadmap", "hoja de ruta", "sprint", "scrum", "agile", "agil", "riesgo", "risk",
        "organiz", "gestion", "manag", "reunion", "meeting", "entrega", "deliverable", "kanban",
        "fase", "phase", "retras", "delay", "recurso", "delegar", "delegat",
    ),
}
# Stems of three letters or fewer ("app", "ads", "api") must be whole words (plural allowed),
# so "approach" is not technical; longer stems match word beginnings ("presupuest" -> "presupuesto").
_KEYWORD_RE = {
    k: re.compile(rf"(?<![a-z0-9]){re.escape(k)}" + (r"s?(?![a-z])" if len(k) <= 3 else ""))
    for stems in KEYWORDS.values() for k in stems
}
# On a tie, the earlier specialist wins (money questions are the most specific).
_ORDER = (Specialist.financial, Specialist.marketing, Specialist.technical,
          Specialist.project_management)

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ES_WORDS = _words(
    "de la el que y en los las un una mi mis es por para con como hola gracias se lo del al "
    "tengo quiero puedo nuestro nuestra muy pero mas buenas buenos dias tardes cual cuanto donde "
    "esto este esta estoy hacer necesito ayuda proyecto le pongo"
)
_EN_WORDS = _words(
    "the and to of is my i how what do you can for with hello hi thanks thank we our it this that "
    "should does are want need help project me your would could which much where"
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """'es' or 'en' from a few cues; ``default`` when the text says nothing either way."""
    es = 2 * sum(text.count(c) for c in "¿¡ñÑáéíóú")
    words = re.findall(r"[a-z]+", _fold(text))
    es += sum(w in _ES_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if es == en:
        return default
    return "es" if es > en else "en"


def route_by_keywords(text: str, default_language: str = DEFAULT_LANGUAGE) -> Route:
    """The deterministic router: keyword stems per specialist, general when none match."""
    folded = " " + re.sub(r"[^a-z0-9€$ -]+", " ", _fold(text)) + " "
    scores: dict[Specialist, list[str]] = {}
    for specialist in _ORDER:
        hits = [k for k in KEYWORDS[specialist] if _KEYWORD_RE[k].search(folded)]
        if hits:
            scores[specialist] = hits
    language = detect_language(text, default_language)
    if not scores:
        reason = ("Sin palabras clave de un área: respuesta general (enrutado sin conexión)."
                  if language == "es" else
                  "No topic keywords: general reply (offline routing).")
        return Route(specialist=Specialist.general, reason=reason, language=language)
    best = max(_ORDER, key=lambda s: (len(scores.get(s, [])), -_ORDER.index(s)))
    words = ", ".join(scores[best][:3])
    reason = (f"Palabras clave: {words} (enrutado sin conexión)." if language == "es"
              else f"Keywords: {words} (offline routing).")
    return Route(specialist=best, reason=reason, language=language)


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
    args = {k: (v.format(q=_quote(question)) if isinstance(v, str) else list(v))
            for k, v in template.items()}
    args["offline"] = True
    return args


# --- the model ----------------------------------------------------------------------------
ATTACHMENT_NOTE_PREFIX = "[Attached "  # the engine's note to the model about an attached file


def latest_user_text(messages: list[ModelMessage]) -> str:
    """The participant's own words in the newest request (not the engine's attachment notes,
    which are meant for the model and must not be quoted back)."""
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        texts: list[str] = []
        for part in message.parts:
            if isinstance(part, UserPromptPart):
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


async def _stream(
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
        yield {0: DeltaToolCall(name=tool if first else None, json_args=payload[i : i + 48],
                                tool_call_id="offline-1" if first else None)}


class OfflineModel(FunctionModel):
    """Deterministic keyword routing and templated answers, labelled offline. Sees no images."""

    def __init__(self) -> None:
        super().__init__(_respond, stream_function=_stream, model_name="offline",
                         profile=ModelProfile(supports_image_input=False))
