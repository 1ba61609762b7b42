"""What a specialist run may touch: the current user's data, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ignacio_agents.domain import Channel, Specialist
from ignacio_agents.store import Store
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.store.users import User


@dataclass
class AdvisorDeps:
    """Per-turn context. Tools read ``user.id`` from here, never from model-supplied arguments,
    so a run can only ever see its own user's history, files and profile."""

    store: Store
    user: User
    conversation_id: UUID
    message_id: UUID | None  # the user message that caused this turn (recorded on profile changes)
    specialist: Specialist
    language: str
    channel: Channel
    profile: ProjectProfile
    history_token_budget: int = 6000  # the ceiling; each request fits the model's window within it
    context_window: int | None = None  # the model's, in tokens (None: unknown)


@dataclass
class TriageDeps:
    """What the router sees besides the new message: who is writing and the recent exchange."""

    user_name: str | None
    preferred_language: str
    recent: list[tuple[str, str]]  # (speaker, text), oldest first
