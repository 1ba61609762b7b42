"""What a specialist run may touch: the current user's data, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from ignacio_agents.channel import WEB_TRAITS, ChannelTraits
from ignacio_agents.domain import ChannelName, Specialist
from ignacio_agents.embeddings import Embeddings
from ignacio_agents.store import Store
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.store.users import StoredUser


@dataclass(frozen=True)
class AnswerBudget:
    """How long an answer may be where it will be read: the core never names a channel for
    this, the channel (or its traits) decides and the specialists' instructions and output
    validators read it from here.

    ``max_chars`` bounds the answer's rendered text (the channel's own rendering is never
    longer than the Markdown one), ``max_items`` each list in it; ``None`` is no limit.
    ``where`` is the channel's name as participants know it, for the instructions.
    """

    brief: bool = False
    max_items: int | None = None
    max_chars: int | None = None
    where: str = "Web"


FULL_ANSWER = AnswerBudget()
# Phone chat apps hold a few thousand characters per message; a brief answer stays well inside.
BRIEF_ANSWER = AnswerBudget(brief=True, max_items=3, max_chars=3500, where="a phone chat")


def default_budget(traits: ChannelTraits) -> AnswerBudget:
    """The budget a channel's traits ask for: brief where answers are read on a phone
    (``short_answers``, e.g. WhatsApp), and never over the channel's own text limit, so a
    brief answer is one message."""
    if not traits.short_answers:
        return replace(FULL_ANSWER, where=traits.label)
    limit = BRIEF_ANSWER.max_chars or 0
    if traits.text_limit is not None:
        limit = min(limit, traits.text_limit)
    return replace(BRIEF_ANSWER, max_chars=limit, where=traits.label)


@dataclass
class AdvisorDeps:
    """Per-turn context. Tools read ``user.id`` from here, never from model-supplied arguments,
    so a run can only ever see its own user's history, files and profile."""

    store: Store
    user: StoredUser
    conversation_id: UUID
    message_id: UUID | None  # the user message that caused this turn (recorded on profile changes)
    specialist: Specialist
    language: str
    channel: ChannelName
    profile: ProjectProfile
    history_token_budget: int = 6000  # the ceiling; each request fits the model's window within it
    context_window: int | None = None  # the model's, in tokens (None: unknown)
    budget: AnswerBudget | None = None  # None: ``default_budget(channel_traits)``
    may_hand_back: bool = False  # True for the first specialist of a turn only (one re-route)
    embeddings: Embeddings | None = None  # makes search_history / search_files hybrid
    channel_traits: ChannelTraits = WEB_TRAITS

    @property
    def answer_budget(self) -> AnswerBudget:
        return self.budget or default_budget(self.channel_traits)


@dataclass
class TriageDeps:
    """What the router sees besides the new message: who is writing and the recent exchange."""

    user_name: str | None
    preferred_language: str
    recent: list[tuple[str, str]]  # (speaker, text), oldest first
