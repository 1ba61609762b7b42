"""The deterministic router: keyword stems per specialist, in Spanish and English.

It answers when the triage model is unavailable (a failed or offline router) and is the offline
model's router, so routing never depends on a model being reachable. It is a floor, not a
judge of quality: the routing eval scores real routers against it.
"""

from __future__ import annotations

import re

from ignacio_agents.agents.routing import Route
from ignacio_agents.domain import Specialist
from ignacio_agents.language import DEFAULT_LANGUAGE, detect_language, fold

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

def route_by_keywords(text: str, default_language: str = DEFAULT_LANGUAGE) -> Route:
    """The deterministic router: keyword stems per specialist, general when none match."""
    folded = " " + re.sub(r"[^a-z0-9€$ -]+", " ", fold(text)) + " "
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
