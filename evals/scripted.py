"""The scripted model for the offline answer suites: realistic answers through the real agents.

A PydanticAI ``FunctionModel`` standing in for the provider at its boundary. It behaves like a
small, well-behaved model so the offline suites check Ignacio's own plumbing deterministically:
the specialists' output tools and typed answers, the shared tools against the real database,
the traces, the renderings. It never measures model quality.

- Tools: a keyword policy picks one tool call when the question needs the participant's files,
  earlier conversations or profile (and none otherwise), then answers with what it found.
- Answers: hand-written, plausible advice per specialist in the language the instructions ask
  for. Asked for detail, a table or sections, it writes long Markdown with headings, tables,
  bold and links, as real models do, to exercise the WhatsApp conversion and splitting.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_core import to_jsonable_python

from ignacio_agents.agents.routing import ANSWER_TOOLS, language_from_hint
from ignacio_agents.domain import Specialist
from ignacio_agents.language import detect_language
from ignacio_agents.offline import latest_user_text


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


# --- which tool, with which arguments -------------------------------------------------------
_UPDATE = re.compile(r"apunta|actualiza|guarda(lo)? en mi perfil|update my profile|save (it|this)|"
                     r"renamed|now called|ahora se llama")
_LIST = re.compile(r"que archivos|which files|what files|archivos te he subido|files (have )?i")
_HISTORY = re.compile(r"te acuerdas|recuerdas|hablamos|comentamos|me dijiste|sugeriste|remind me|"
                      r"you suggested|we talked|we discussed|you said|last time")
_FILES = re.compile(r"te subi|he subido|plan de negocio|pitch deck|\bdeck\b|archivo|documento|"
                    r"uploaded|my file|slide|diapositiva|hoja de calculo|spreadsheet")
# Words worth searching for, most specific first; the first ones found in the question are used.
_TOPICS = ("market size", "pricing", "precio", "subvencion", "ayuntamiento", "presupuesto",
           "budget", "competencia", "competitors", "grant", "price", "margen", "margin")
_ACCENTED = {"subvencion": "subvención"}


def search_query(question: str) -> str:
    folded = _fold(question)
    found = [t for t in _TOPICS if t in folded][:2]
    if not found:
        words = sorted(re.findall(r"[a-z]{5,}", folded), key=len, reverse=True)
        found = words[:1] or [folded.strip()[:40]]
    return " ".join(_ACCENTED.get(w, w) for w in found)


def _profile_changes(question: str) -> dict[str, str]:
    changes: dict[str, str] = {}
    name = re.search(r"(?:called|se llama)\s+([A-Z][\w-]+)", question)
    if name:
        changes["project_name"] = name.group(1)
    if re.search(r"mvp|lanzad|launched|suscriptores|subscribers|clientes|customers", _fold(question)):
        changes["stage"] = re.split(r"(?<=[.!?])\s|\s*[,;]\s*(?:ap[uú]ntalo|please|por favor)",
                                    question.strip())[0].rstrip(".")[:200]
    return changes


def plan_tool_call(question: str) -> tuple[str, dict[str, Any]] | None:
    """The one tool a careful model would call first for ``question``, or None."""
    folded = _fold(question)
    if _UPDATE.search(folded):
        changes = _profile_changes(question)
        return ("update_project_profile", changes) if changes else None
    if _LIST.search(folded):
        return "list_files", {}
    if _HISTORY.search(folded):
        return "search_history", {"query": search_query(question)}
    if _FILES.search(folded):
        return "search_files", {"query": search_query(question)}
    return None


# --- what the answer says ------------------------------------------------------------------
_LONG = re.compile(r"detail|detallad|todo detalle|complete|completo|paso a paso|step by step|"
                   r"month by month|mes a mes|twelve-month|12-month|doce meses")
_TABLE = re.compile(r"tabla|table|compar")
_SECTIONS = re.compile(r"section|seccion|phase|fase")


def _found_lines(returns: list[tuple[str, Any]], lang: str) -> list[str]:
    """Sentences citing what the tools returned, as a model would weave them in."""
    es = lang == "es"
    lines: list[str] = []
    for tool, content in returns:
        data = to_jsonable_python(content)
        if tool in ("search_files", "read_file"):
            passages = data.get("passages", []) if isinstance(data, dict) else data
            for p in (passages or [])[:2]:
                where = f"{p['file_name']}, {p['location']}"
                lines.append(f"En {where} pone: «{_clean(p['text'])}»." if es
                              else f"In {where} you wrote: \"{_clean(p['text'])}\".")
            if not passages:
                lines.append("No he encontrado ese dato en tus archivos." if es
                             else "I could not find that in your files.")
        elif tool == "search_history":
            for hit in (data or [])[:2]:
                who = ("te dije" if es else "I said") if hit["author"] == "ignacio" else (
                    "me dijiste" if es else "you said")
                lines.append(f"El {hit['date'][:10]} {who}: «{_clean(hit['snippet'])}»." if es
                              else f"On {hit['date'][:10]} {who}: \"{_clean(hit['snippet'])}\".")
            if not data:
                lines.append("No encuentro esa conversación." if es else "I can't find that conversation.")
        elif tool == "list_files":
            names = ", ".join(f["file_name"] for f in data or [])
            lines.append(f"Tienes {len(data or [])} archivos: {names}." if es
                          else f"You have {len(data or [])} files: {names}.")
        elif tool in ("update_project_profile", "get_project_profile") and isinstance(data, dict):
            saved = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items() if v)
            lines.append(f"Tu perfil queda así: {saved}." if es else f"Your profile now reads: {saved}.")
    return lines


def _clean(snippet: str) -> str:
    return " ".join(snippet.replace("**", "").split())[:220]


def _profile_line(instructions: str | None, lang: str) -> str | None:
    """Use the profile the instructions carry, as a model with that context would."""
    if not instructions or "<project_profile>" not in instructions:
        return None
    fields = dict(re.findall(r"^- (project name|stage|goals): (.+)$", instructions, re.M))
    if not fields:
        return None
    name, stage, goals = (fields.get("project name", ""), fields.get("stage", ""),
                          fields.get("goals", ""))
    if lang == "es":
        return (f"Con {name} en fase de {stage} y el objetivo de {goals.lower()}, prioriza lo "
                f"que acerque ese objetivo.")
    return (f"With {name} at the {stage} stage and the goal to {goals.lower()}, prioritise what "
            f"moves that goal.")


SHORT: dict[Specialist, dict[str, dict[str, Any]]] = {
    Specialist.marketing: {
        "es": {
            "advice": "Empieza por un único cliente ideal y un único canal. Para un producto "
                      "artesanal o local funcionan muy bien Instagram y las ferias de tu zona: "
                      "enseña el proceso, no solo el producto, y pide a tus primeros clientes "
                      "que compartan fotos.\n\nMide cuántas personas pasan de ver tu contenido "
                      "a escribirte o comprar, y ajusta cada dos semanas.",
            "action_items": ["Escribe en una frase quién es tu cliente ideal y qué le preocupa.",
                             "Publica tres veces por semana durante un mes mostrando el proceso.",
                             "Ofrece un 10 % de descuento a quien traiga a un amigo.",
                             "Revisa cada quince días qué publicaciones generan mensajes."],
            "resources": ["Value Proposition Canvas (Strategyzer)",
                          "Meta Business Suite para programar publicaciones"],
        },
        "en": {
            "advice": "Start with one ideal customer and one channel. Tell a concrete story "
                      "about the problem you solve and show real people who benefit from it; "
                      "people support causes and products they can picture.\n\nTrack how many "
                      "people go from seeing your message to signing up, and adjust every two "
                      "weeks.",
            "action_items": ["Write one sentence describing your ideal supporter or customer.",
                             "Pick a single channel and post there three times a week for a month.",
                             "Ask your first ten supporters for a short testimonial.",
                             "Review sign-ups every two weeks and drop what does not work."],
            "resources": ["Value Proposition Canvas (Strategyzer)", "Mailchimp's free plan"],
        },
    },
    Specialist.technical: {
        "es": {
            "solution": "Para validar la idea sin programar, monta el MVP con herramientas "
                        "no-code: Softr o Glide para la app, Airtable como base de datos y "
                        "Calendly o Cal.com para las reservas. Podrás cambiarlo por desarrollo a "
                        "medida cuando tengas usuarios que paguen.",
            "implementation_steps": ["Define las tres pantallas imprescindibles.",
                                     "Crea la base de datos en Airtable con clientes y citas.",
                                     "Conecta Softr a Airtable y publica una primera versión.",
                                     "Prueba el flujo con cinco usuarios reales."],
            "considerations": ["Los datos de salud exigen cuidado extra con el RGPD.",
                               "El coste mensual sube con el número de usuarios.",
                               "Migrar más adelante lleva trabajo: exporta los datos a menudo."],
        },
        "en": {
            "solution": "Store the readings in a time-series database such as TimescaleDB "
                        "(PostgreSQL with time-series extensions): it handles millions of rows, "
                        "keeps SQL for your team and compresses old data automatically.",
            "implementation_steps": ["Create a hypertable keyed by sensor and timestamp.",
                                     "Ingest readings through a small API with batching.",
                                     "Add continuous aggregates for hourly and daily views.",
                                     "Set a compression and retention policy for raw data."],
            "considerations": ["Managed hosting costs grow with data volume.",
                               "Plan backups and test a restore before the first customer."],
        },
    },
    Specialist.project_management: {
        "es": {
            "recommendations": "Organiza el piloto en fases cortas con un responsable por fase "
                               "y una revisión semanal de 30 minutos. Elige desde el principio "
                               "cómo medirás el éxito para que la decisión final no dependa de "
                               "opiniones.",
            "timeline_suggestions": ["Semanas 1-2: objetivos, participantes y métricas.",
                                     "Semanas 3-10: piloto con revisión semanal.",
                                     "Semanas 11-12: evaluación y propuesta a dirección."],
            "risk_factors": ["Falta de apoyo de los mandos: implícalos desde la primera semana.",
                             "Alcance que crece: apunta las ideas nuevas para una segunda fase."],
        },
        "en": {
            "recommendations": "Give every recurring task a single owner and make the list "
                               "visible to everyone. A short weekly check-in and a shared board "
                               "stop tasks from falling through the cracks.",
            "timeline_suggestions": ["Week 1: list recurring tasks and assign owners.",
                                     "Week 2: set up a shared board and a weekly check-in.",
                                     "Week 6: review what slipped and rebalance the load."],
            "risk_factors": ["Volunteer burnout: rotate the heaviest tasks.",
                             "Single points of failure: pair people on critical tasks."],
        },
    },
    Specialist.financial: {
        "es": {
            "analysis": "Cada caja deja un margen de contribución de 30 € - 18 € = 12 €. Con "
                        "4.000 € de gastos fijos al mes, el punto de equilibrio está en "
                        "4.000 / 12 ≈ 334 cajas al mes, unas 78 por semana.",
            "recommendations": ["Sigue las cajas vendidas por semana frente a ese objetivo.",
                                "Negocia con proveedores para bajar el coste por caja.",
                                "Prueba una caja premium con más margen."],
            "key_figures": ["Margen por caja: 12 €", "Punto de equilibrio: ≈ 334 cajas al mes"],
            "risks": ["Subidas del coste de la fruta en temporada baja.",
                      "Bajas de suscriptores en verano."],
        },
        "en": {
            "analysis": "A credible grant budget ties every cost to an activity in your work "
                        "plan, uses real quotes and shows your own contribution. Reviewers "
                        "check that personnel costs match the effort described.",
            "recommendations": ["Build the budget from the work packages, not from the total.",
                                "Attach quotes for equipment over 3,000 euros.",
                                "Show co-funding of at least 20% from your own resources."],
            "key_figures": ["Total requested: 60,000 euros",
                            "Indirect costs: usually a flat 7-25% of direct costs"],
            "risks": ["Ineligible costs are cut from the award.",
                      "Grants are often paid after spending: plan your cash flow."],
        },
    },
    Specialist.general: {
        "es": {
            "message": "¡Hola! Soy Ignacio, el asesor del programa. Puedo ayudarte con "
                       "marketing, tecnología, organización del proyecto y finanzas. Cuéntame "
                       "en qué estás trabajando.",
            "follow_up_questions": ["¿De qué trata tu proyecto?",
                                    "¿Qué te gustaría conseguir este mes?"],
        },
        "en": {
            "message": "Hi! I'm Ignacio, the program's advisor. I can help with marketing, "
                       "technology, planning your project and finances. Tell me what you are "
                       "working on.",
            "follow_up_questions": ["What is your project about?",
                                    "What would you like to achieve this month?"],
        },
    },
}

_THANKS = re.compile(r"gracias|thank")
_GREETING = re.compile(r"\b(hola|hi|hello|buenas|buenos|good morning)\b")
_GENERAL_REPLIES = {
    "thanks": {"es": "¡A ti! Me alegra que te sirva. Aquí estoy cuando quieras seguir.",
               "en": "You're welcome! Glad it helped. I'm here whenever you want to continue."},
    "decline": {"es": "Eso queda fuera de lo que puedo hacer: soy el asesor del programa para "
                      "tu proyecto. Sí puedo ayudarte con marketing, tecnología, organización y "
                      "finanzas.",
                "en": "That is outside what I can do: I'm the program's advisor for your "
                      "project. I can help with marketing, technology, planning and finances."},
}


def _general(question: str, lang: str, found: list[str]) -> dict[str, Any]:
    folded = _fold(question)
    base = dict(SHORT[Specialist.general][lang])
    if found:
        base["message"] = " ".join(found)
        base["follow_up_questions"] = []
    elif _THANKS.search(folded):
        base = {"message": _GENERAL_REPLIES["thanks"][lang], "follow_up_questions": []}
    elif not _GREETING.search(folded):
        base["message"] = _GENERAL_REPLIES["decline"][lang]
    return base


def _long_marketing(lang: str) -> dict[str, Any]:
    months = [
        ("January", "Interview 20 customers and rewrite the landing page", "landing conversion"),
        ("February", "Launch a referral programme: a free box per friend", "referral sign-ups"),
        ("March", "Partner with two gyms for a trial box offer", "trial-to-paid rate"),
        ("April", "Start weekly recipe Reels with a 20-second format", "saves per Reel"),
        ("May", "Run a spring seasonal box with a local chef", "orders per week"),
        ("June", "Test Meta ads with two audiences, 300 euros each", "cost per subscriber"),
        ("July", "Summer pause campaign to reduce churn", "churn rate"),
        ("August", "Collect reviews and user photos for September", "reviews collected"),
        ("September", "Back-to-routine campaign for busy families", "new subscribers"),
        ("October", "Corporate boxes pilot with three local companies", "B2B leads"),
        ("November", "Black Friday gift cards instead of discounts", "gift cards sold"),
        ("December", "Christmas box and a year-in-review email", "repeat orders"),
    ]
    items = [
        f"**{m}** — {what}. Budget: {10 + 3 * i}% of the month's marketing spend. Content idea: a "
        f"behind-the-scenes story from a supplier, a customer recipe and a short how-to. Metric "
        f"to watch: {metric}; review it in the last week of the month and decide what to keep, "
        f"what to drop and what to double down on next month."
        for i, (m, what, metric) in enumerate(months)
    ]
    advice = ("## Strategy\n\nFocus on **busy families within 10 km** and on one promise: healthy "
              "dinners with no planning. Split the budget 60/30/10 between owned channels, paid "
              "tests and partnerships. See the [Meta ads guide](https://www.facebook.com/business/ads) "
              "before June.\n\n## How to use this plan\n\nTreat each month as an experiment with "
              "one metric; keep a simple log of what you tried and what happened.")
    return {"advice": advice, "action_items": items,
            "resources": ["Google Sheets template for a marketing calendar",
                          "Meta Business Suite", "Mailchimp customer journeys"]}


def _long_technical() -> dict[str, Any]:
    steps = [
        "Empaqueta el prototipo en un contenedor Docker con sus dependencias fijadas en "
        "requirements.txt, para que se ejecute igual en tu portátil y en la nube.",
        "Elige dónde desplegar: un servicio gestionado (Cloud Run, Fly.io o Render) evita "
        "administrar servidores; una máquina virtual sale más barata a partir de cierto uso.",
        "Separa la configuración del código: claves y contraseñas en variables de entorno o en "
        "un gestor de secretos, nunca en el repositorio.",
        "Usa una base de datos gestionada (PostgreSQL) con copias de seguridad automáticas "
        "diarias y prueba a restaurar una copia antes de tener clientes.",
        "Guarda los ficheros que suban los clientes en almacenamiento de objetos (S3, Cloud "
        "Storage) y no en el disco del contenedor, que se borra en cada despliegue.",
        "Añade monitorización: registros centralizados, métricas de latencia y errores, y una "
        "alerta por correo o Slack cuando algo falle o la latencia pase de dos segundos.",
        "Protege la API: HTTPS, autenticación por token, límites de peticiones por cliente y "
        "revisión periódica de dependencias con herramientas como pip-audit.",
        "Automatiza el despliegue con GitHub Actions: pruebas en cada cambio, construcción de la "
        "imagen y despliegue al fusionar en la rama principal.",
        "Prepara un entorno de pruebas separado con datos ficticios para enseñar demos a "
        "clientes sin arriesgar los datos reales.",
        "Documenta cómo volver a la versión anterior si un despliegue sale mal y ensáyalo una vez.",
    ]
    solution = (
        "### Arquitectura recomendada\n\nPara un spin-off en fase inicial, lo más sensato es un "
        "**servicio gestionado de contenedores** con una **base de datos PostgreSQL gestionada**. "
        "Pagas por uso, no mantienes servidores y escalas cuando lleguen clientes. El modelo de "
        "Python se sirve como una API pequeña (FastAPI, por ejemplo) dentro del contenedor.\n\n"
        "```bash\ndocker build -t prototipo .\ndocker run -p 8000:8000 prototipo\n```\n\n"
        "### Costes orientativos\n\n| Opción | Coste al mes | Mantenimiento |\n|---|---|---|\n"
        "| Cloud Run + Cloud SQL | 30-80 € | Bajo |\n| Máquina virtual | 15-40 € | Alto |\n"
        "| Render + Postgres | 25-60 € | Bajo |\n\n"
        "Los tres incluyen copias de seguridad de la base de datos. Revisa también el coste de "
        "la transferencia de datos si tus clientes descargan muchos resultados, y el de la GPU "
        "si el modelo la necesita: en ese caso compara un servicio de inferencia gestionado con "
        "una máquina con GPU encendida solo en horario laboral.\n\n"
        "### Seguridad y datos\n\nSi tratas datos personales, elige una región de la Unión "
        "Europea, cifra los datos en reposo (los servicios gestionados lo hacen por defecto) y "
        "limita quién del equipo puede entrar en producción. Registra cada acceso administrativo."
        "\n\n### Copias de seguridad\n\nActiva las copias automáticas diarias con al menos siete "
        "días de retención y una copia semanal fuera del proveedor principal. Una copia que nunca "
        "se ha restaurado no es una copia: programa una restauración de prueba cada trimestre y "
        "apunta cuánto tarda, porque ese es el tiempo que tus clientes estarían sin servicio."
        "\n\n### Monitorización\n\nEmpieza con tres señales: errores por minuto, latencia del "
        "percentil 95 y uso de memoria del contenedor. Con eso detectas casi todos los problemas "
        "de un servicio pequeño. Añade un chequeo externo cada minuto contra un endpoint de salud "
        "que compruebe también la conexión a la base de datos, y una página de estado sencilla "
        "para que los clientes sepan si hay una incidencia antes de escribirte."
    )
    considerations = [
        "Protección de datos: si tratas datos personales de clientes, firma un contrato de "
        "encargado del tratamiento con el proveedor y elige una región de la UE.",
        "Costes: fija alertas de presupuesto en la consola del proveedor desde el primer día; "
        "un error en un bucle puede multiplicar la factura en una noche.",
        "Escalado: el servicio gestionado escala solo, pero la base de datos no; vigila las "
        "conexiones abiertas y usa un pool de conexiones.",
        "Rendimiento: si el modelo tarda más de unos segundos, procesa las peticiones en una "
        "cola y avisa al cliente cuando el resultado esté listo.",
        "Dependencia del proveedor: usar contenedores estándar y PostgreSQL facilita cambiar de "
        "nube si cambian los precios.",
        "Equipo: deja por escrito quién recibe las alertas y qué hacer ante cada una.",
        "Licencias: revisa que las librerías y los pesos del modelo permitan uso comercial, "
        "sobre todo si el modelo se entrenó en la universidad con datos de terceros.",
        "Propiedad intelectual: acuerda con la universidad quién es dueño del código y del "
        "modelo antes de firmar contratos con clientes.",
    ]
    return {"solution": solution, "implementation_steps": steps, "considerations": considerations}


def _long_project_management() -> dict[str, Any]:
    phases = [
        ("Phase 1 — Discovery (weeks 1-3)", "Product owner", "Interview the five teams that "
         "will use the platform and agree the three reports they need first."),
        ("Phase 2 — Build (weeks 4-9)", "Tech lead", "Connect the two main data sources, build "
         "the first dashboards and review them every Friday with a pilot user."),
        ("Phase 3 — Pilot (weeks 10-13)", "Change manager", "Run the pilot with one department, "
         "collect feedback weekly and fix the top issues."),
        ("Phase 4 — Roll-out (weeks 14-18)", "Sponsor", "Train champions in each department and "
         "switch off the old spreadsheets."),
    ]
    text = "\n\n".join(f"## {title}\n\n**Owner:** {owner}. {body}" for title, owner, body in phases)
    return {
        "recommendations": "# Launch plan\n\n" + text + "\n\n* Keep one decision log.\n"
                           "* Share a one-page status every two weeks.",
        "timeline_suggestions": [title for title, _, _ in phases],
        "risk_factors": ["Data quality issues: profile the sources in phase 1.",
                         "Low adoption: involve pilot users from the first week.",
                         "Scope creep: park new report requests for after the roll-out."],
    }


def _long_financial() -> dict[str, Any]:
    table = ("| Opción | Importe | Plazo | Requisitos |\n|---|---|---|---|\n"
             "| ENISA Jóvenes Emprendedores | 25.000-75.000 € | 5-7 años | Fondos propios equivalentes |\n"
             "| Business angels | 50.000-300.000 € | Sin devolución (capital) | Ceder participación |\n"
             "| Subvención regional | Hasta 60.000 € | Justificación en 12-24 meses |"
             " Cofinanciar un 20-40 % |")
    return {
        "analysis": "Comparativa de las tres opciones:\n\n" + table + "\n\nENISA no diluye, "
                    "pero exige igualar el préstamo con fondos propios. Los business angels "
                    "aportan contactos además de dinero, a cambio de participación. La "
                    "subvención es la más barata pero suele cobrarse después de gastar.",
        "recommendations": ["Combina subvención y ENISA para no ceder capital en la primera etapa.",
                            "Prepara una previsión de tesorería de 18 meses antes de pedir nada.",
                            "Habla con dos business angels del sector para contrastar la valoración."],
        "key_figures": ["Necesidad estimada: 120.000 € para 18 meses",
                        "Cofinanciación de la subvención: 20-40 %"],
        "risks": ["Retrasos en el cobro de la subvención.",
                  "Una valoración baja en la primera ronda condiciona las siguientes."],
    }


def answer_arguments(specialist: Specialist, lang: str, question: str,
                     returns: list[tuple[str, Any]], instructions: str | None) -> dict[str, Any]:
    """The output tool's arguments for this question: realistic text, never placeholders."""
    lang = lang if lang in ("es", "en") else "en"
    found = _found_lines(returns, lang)
    if specialist is Specialist.general:
        return _general(question, lang, found)
    folded = _fold(question)
    if _LONG.search(folded) or _TABLE.search(folded) or _SECTIONS.search(folded):
        if specialist is Specialist.marketing:
            args = _long_marketing(lang)
        elif specialist is Specialist.technical:
            args = _long_technical()
        elif specialist is Specialist.project_management:
            args = _long_project_management()
        else:
            args = _long_financial()
    else:
        args = {k: (list(v) if isinstance(v, list) else v) for k, v in SHORT[specialist][lang].items()}
    context = found or [line for line in [_profile_line(instructions, lang)] if line]
    if context:
        main = next(iter(args))
        args[main] = " ".join(context) + "\n\n" + args[main]
    return within_item_limit(args, instructions)


_ITEM_LIMIT = re.compile(r"at most (\d+) items in each list")


def within_item_limit(args: dict[str, Any], instructions: str | None) -> dict[str, Any]:
    """Lists cut to the limit the instructions give for this channel, as a model that follows
    its instructions would (the most important items come first)."""
    match = _ITEM_LIMIT.search(instructions or "")
    if match is None:
        return args
    limit = int(match.group(1))
    return {k: v[:limit] if isinstance(v, list) else v for k, v in args.items()}


# --- the model ------------------------------------------------------------------------------
def _returns_of_this_run(messages: list[ModelMessage]) -> list[tuple[str, Any]]:
    """Tool results since the latest user prompt, in order."""
    out: list[tuple[str, Any]] = []
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        if any(isinstance(p, UserPromptPart) for p in message.parts):
            break
        out[:0] = [(p.tool_name, p.content) for p in message.parts if isinstance(p, ToolReturnPart)]
    return out


def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if not info.output_tools:
        return ModelResponse(parts=[TextPart("(scripted model: no output tool offered)")])
    output_tool = info.output_tools[0].name
    specialist = ANSWER_TOOLS.get(output_tool)
    if specialist is None:
        raise ValueError(f"the scripted advisor only answers as a specialist, not {output_tool!r}")
    question = latest_user_text(messages)
    language = language_from_hint(info.instructions) or detect_language(question)
    returns = _returns_of_this_run(messages)
    if not returns:
        call = plan_tool_call(question)
        offered = {t.name for t in info.function_tools}
        if call is not None and call[0] in offered:
            return ModelResponse(parts=[ToolCallPart(call[0], call[1])])
    args = answer_arguments(specialist, language, question, returns, info.instructions)
    return ModelResponse(parts=[ToolCallPart(output_tool, args)])


def scripted_advisor() -> FunctionModel:
    """A fresh scripted model (stateless: everything it needs is in the messages)."""
    return FunctionModel(respond, model_name="scripted-advisor")
