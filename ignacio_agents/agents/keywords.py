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
        "cuesta",
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

# The routing conventions of the triage prompt, for the close calls keyword counts get wrong:
# the first that matches decides. Labels are "English|Spanish"; patterns run on folded text
# (lower case, no accents).
_COST = r"(cost|coste|costo|cuesta|margen|margin|ganar|cubr|cover|rentab)"
_PRICE = r"(precio|price|pricing|cobr|charge|tarifa|cuota|sell (it )?for)"
CONVENTIONS: tuple[tuple[Specialist, str, re.Pattern[str]], ...] = tuple(
    (specialist, label, re.compile(pattern)) for specialist, label, pattern in (
        # unit economics: acquisition cost, lifetime value, payback -> financial
        (Specialist.financial, "unit economics|economía unitaria",
         r"\b(ltv|cac|lifetime value|valor de vida|(coste|costo) (de|por) (adquisicion|captacion)|"
         r"acquisition cost|payback|pays? (off|back|for itself)|salen? a cuenta|me compensa|"
         r"(cost|cuesta)s? .{0,40}(to recruit|to acquire|captar|conseguir) (each|cada))"),
        # a price worked out from costs and margins -> financial
        (Specialist.financial, "price from costs|precio a partir de costes",
         rf"\b{_PRICE}.{{0,120}}\b{_COST}|\b{_COST}.{{0,120}}\b{_PRICE}"),
        # the ask is who does what by when -> project_management
        (Specialist.project_management, "who does what|quién hace qué",
         r"\b(who does what|quien hace que|by when|reparti\w* (quien|las tareas|el trabajo)|"
         r"quien (escribe|hace) (cada|que))"),
        # the ask is how long something takes -> project_management
        (Specialist.project_management, "how long it takes|cuánto se tarda",
         r"\b(how long (will|would|does|did) it take|cuanto tiempo|cuanto (se )?tarda\w*)"),
        # the ask is which tool -> technical
        (Specialist.technical, "which tool|qué herramienta",
         r"\b(que|which|what) (herramienta|tool|crm|software|plataforma|app)s?\b"),
        # what to charge, plans, discounts, free tiers: pricing strategy -> marketing
        (Specialist.marketing, "pricing strategy|estrategia de precio",
         rf"\b{_PRICE}|\b(free (plan|tier|trial)|trial|plan gratuito|freemium|descuento|"
         r"discount|mas barat|cheaper|premium)\b"),
    )
)


# The participant asks for a person (a mentor, someone from the program, a human): checked
# before everything else, since no topic should keep them talking to a model. Folded text.
_PERSON = (r"(una persona|alguien( real| de verdad| del programa| del equipo del programa)?|"
           r"un humano|una humana|un ser humano|una persona (real|de verdad)|"
           r"(un|una|mi) (mentor|mentora|tutor|tutora|coordinador|coordinadora)|"
           r"a (real )?(human|person|human being)|someone (real|from the program)|"
           r"(a|my) (human )?(mentor|coach|tutor))")
# Wanting "a person" may be hiring one ("necesito una persona para redes"): only a human will do.
_HUMAN_ONLY = (r"(un humano|una humana|un ser humano|una persona (real|de verdad)|"
               r"a (real )?human( being)?|a real person)")
# Talking to someone counts when it is asked for ("quiero hablar con…", "can I talk to…") or
# is the whole request ("hablar con una persona"), not when it is reported ("hablé con…").
_WANT_ES = (r"(^ ?|quiero |necesito |puedo |podria |me gustaria |quisiera |prefiero |se puede |"
            r"dejame |por favor )")
_WANT_EN = (r"(^ ?|(can|could|may) i |i (want|need|would like|'d like) to |let me |please |"
            r"is it possible to |)")
HUMAN_REQUEST = re.compile(
    rf"{_WANT_ES}(hablar|contactar|chatear|comunicarme) (con|a) {_PERSON}\b|"
    rf"\b(quiero|necesito|prefiero|puedo tener) {_HUMAN_ONLY}\b|"
    rf"\b(me pasas con|pasame con|ponme con|me pones con) {_PERSON}\b|"
    rf"\bque me (atienda|escriba|llame) {_PERSON}\b|\batencion humana\b|"
    rf"{_WANT_EN}(talk|speak|chat) (to|with) {_PERSON}\b|"
    rf"\b(get|connect|put) me (with|through to|in touch with)? ?{_PERSON}\b|"
    rf"\b(i want|i need|i'd like|i would like|can i have) {_HUMAN_ONLY}\b|"
    rf"\b(human mentor|real human|persona real)\b|\b(is there|are you) a (real )?(human|person)\b"
)


def human_reason(language: str) -> str:
    return ("Pide hablar con una persona (enrutado sin conexión)." if language == "es"
            else "Asks to talk to a person (offline routing).")


def route_by_keywords(text: str, default_language: str = DEFAULT_LANGUAGE) -> Route:
    """The deterministic router: a request for a person first, then keyword stems per
    specialist, general when none match."""
    folded = " " + re.sub(r"[^a-z0-9€$ '-]+", " ", fold(text)) + " "
    language = detect_language(text, default_language)
    if HUMAN_REQUEST.search(folded):
        return Route(specialist=Specialist.human, reason=human_reason(language), language=language)
    for specialist, label, pattern in CONVENTIONS:
        if pattern.search(folded):
            english, spanish = label.split("|")
            reason = (f"Convención: {spanish} (enrutado sin conexión)." if language == "es"
                      else f"Convention: {english} (offline routing).")
            return Route(specialist=specialist, reason=reason, language=language)
    scores: dict[Specialist, list[str]] = {}
    for specialist in _ORDER:
        hits = [k for k in KEYWORDS[specialist] if _KEYWORD_RE[k].search(folded)]
        if hits:
            scores[specialist] = hits
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
