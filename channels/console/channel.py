"""The console channel: receive into the store and queue, answer by job, send into an outbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from procrastinate import Blueprint, JobContext

from ignacio_agents.answering import answer_stored, engine_composer
from ignacio_agents.channel import ChannelTraits, SendFailed
from ignacio_agents.jobs import runtime_of
from ignacio_agents.runtime import Runtime
from ignacio_agents.settings import Settings
from ignacio_agents.store.messages import NewMessage, StoredMessage

NAME = "console"
ANSWER_TASK = f"{NAME}:answer"
DEFAULT_TEXT_LIMIT = 280  # short on purpose, so long answers are split


@dataclass(frozen=True)
class Outgoing:
    """One part the console "sent"."""

    id: str
    to: str
    text: str
    reply_to: str | None


@dataclass
class ConsoleChannel:
    """The ``console`` channel. ``outbox`` holds what was sent, ``read`` the ids marked read;
    ``failures`` scripts send failures (each a :class:`SendFailed`, raised once, in order)."""

    text_limit: int = DEFAULT_TEXT_LIMIT
    outbox: list[Outgoing] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    failures: list[SendFailed] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    name = NAME

    @property
    def traits(self) -> ChannelTraits:
        return ChannelTraits(label="Console", defers_delivery=True, read_only_on_web=True,
                             text_limit=self.text_limit)

    @classmethod
    def from_settings(cls, core: Settings) -> ConsoleChannel | None:
        return None if core.is_production else cls()

    def blueprints(self) -> list[Blueprint]:
        bp = Blueprint()
        bp.ignacio_namespace = NAME  # type: ignore[attr-defined]
        bp.task(name="answer", pass_context=True)(_answer)
        return [bp]

    async def start(self, runtime: Runtime) -> None:
        return None

    async def aclose(self) -> None:
        return None

    # --- inbound -----------------------------------------------------------------------------

    async def receive(self, runtime: Runtime, user_id: UUID, text: str) -> StoredMessage:
        """Store a participant's message and queue its answer, in one transaction."""
        store = runtime.store
        async with store.db.transaction() as tx:
            conversation = await store.conversations.latest_or_create(user_id, NAME, conn=tx)
            stored = await store.messages.add(NewMessage(
                conversation_id=conversation.id, user_id=user_id, is_from_user=True,
                content=text, channel=NAME, external_id=f"console.in.{uuid4().hex}",
            ), conn=tx)
            assert stored is not None  # a fresh id never repeats
            await runtime.jobs.configure_task(
                ANSWER_TASK, lock=f"conv:{conversation.id}", queueing_lock=f"answer:{stored.id}",
                connection=tx,
            ).defer_async(message_id=str(stored.id), to=str(user_id))
        return stored

    # --- Sender ------------------------------------------------------------------------------

    def render(self, reply: StoredMessage) -> list[str]:
        return split_text(reply.content or "", self.text_limit) or ["…"]

    async def send_part(self, to: str, text: str, *, reply_to: str | None) -> str:
        if self.failures:
            raise self.failures.pop(0)
        sent = Outgoing(id=f"console.out.{next(self._ids)}", to=to, text=text, reply_to=reply_to)
        self.outbox.append(sent)
        return sent.id

    async def mark_read(self, external_id: str, *, typing: bool) -> None:
        self.read.append(external_id)


async def _answer(context: JobContext, message_id: str, to: str) -> None:
    runtime = runtime_of(context)
    channel = runtime.channels.get(ConsoleChannel)
    assert channel is not None, "the console channel is not registered"
    await answer_stored(runtime, channel, UUID(message_id), to, engine_composer(runtime, NAME))


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most ``limit`` characters, cut between words (a longer word is cut
    itself); every word kept, in order."""
    parts: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts
