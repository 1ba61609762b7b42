"""The turn's routing step: the recent exchange the router sees, the triage agent's ``Route``,
keyword routing when the router fails (routing is an optimisation, never a single point of
failure), and the new route when a specialist hands the question back."""

from __future__ import annotations

import asyncio
import logging
import re
from uuid import UUID

from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage

from ignacio_agents.agents import Reroute, Route, TriageDeps, triage_agent
from ignacio_agents.agents.keywords import route_by_keywords
from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine.fallback import error_code
from ignacio_agents.language import detect_language
from ignacio_agents.llm import model_settings
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.users import StoredUser

log = logging.getLogger(__name__)

RECENT_MESSAGES = 6  # what the router sees of the conversation
# Each recent message is cut to this many characters: enough to follow the thread, and six
# full answers would not fit a small model's window next to the router's instructions.
RECENT_CHARS = 300
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


async def recent_exchange(store: Store, conversation_id: UUID,
                          current: UUID) -> list[tuple[str, str]]:
    """The last few messages before ``current`` as (speaker, text), oldest first."""
    page = await store.messages.page(conversation_id, limit=RECENT_MESSAGES + 1)
    recent = []
    for m in reversed(page.items):
        if m.id == current or m.replaced_reason is not None:
            continue
        speaker = "user" if m.is_from_user else f"ignacio ({m.agent or 'general'})"
        text = m.content or (f"[{m.message_type.value}: {m.file_name}]" if m.file_name else "")
        if text:
            recent.append((speaker, text if len(text) <= RECENT_CHARS
                           else text[:RECENT_CHARS].rstrip() + "…"))
    return recent[-RECENT_MESSAGES:]


def routing_text(inbound: InboundMessage) -> str:
    """What the router reads: the words, or the attachments' names for a bare file."""
    return inbound.text or " ".join(f"[{a.kind.value}: {a.file_name}]" for a in inbound.attachments)


async def route_turn(inbound: InboundMessage, user: StoredUser, recent: list[tuple[str, str]], *,
                     model: Model, settings: Settings,
                     time_limit: float | None = None) -> tuple[Route, RunUsage | None]:
    """The triage agent's route (its usage too), or a keyword route if the router fails or
    has no time (``time_limit`` 0: the provider is known to be down)."""
    text = routing_text(inbound)
    deps = TriageDeps(user_name=user.name, preferred_language=user.preferred_language, recent=recent)
    try:
        async with asyncio.timeout(settings.model_timeout_seconds if time_limit is None else time_limit):
            result = await triage_agent.run(
                text, deps=deps, model=model, model_settings=model_settings(settings, triage=True),
            )
        route = result.output
        if not _LANGUAGE_CODE.fullmatch(route.language):  # e.g. "" or "unknown"
            route = route.model_copy(update={"language": detect_language(text, user.preferred_language)})
        return route, result.usage
    except Exception as exc:  # the router is an optimisation: keywords still route
        log.warning("triage failed (%s): routing by keywords", error_code(exc))
        route = route_by_keywords(text, user.preferred_language)
        return route.model_copy(update={"reason": f"{route.reason} [router unavailable]"}), None


def handed_back(route: Route, reroute: Reroute, *, by: Specialist) -> Route:
    """The route after ``by`` handed the question back: the specialist it named, the same
    language, and a reason that keeps both decisions for the staff reading the transcript."""
    reason = f"{route.reason} Handed back by {by.value}: {reroute.reason}"
    # Only the router sends a participant to a person; a specialist's hand-back stays with a model.
    target = Specialist.general if reroute.specialist is Specialist.human else reroute.specialist
    return Route(reason=reason, specialist=target, language=route.language)
