"""A human in the loop: a mentor or admin pauses the AI on a conversation, writes as
themselves, and resumes; the participant can ask for a person and a mentor is told.

What the AI later sees. Every message a human handles lands in the replayed history in its
own words and marked for what it is: a participant's message answered by no model is stored
as a plain user turn; a mentor's message is a user-side turn that says a human mentor wrote it
to the participant (never an assistant turn: the model must not take it for its own words). So
on resume the next answer knows what the mentor said and neither repeats nor contradicts it.

How a human's message reaches the participant is the channel's business: a channel that
defers delivery implements :class:`HumanChannel` (WhatsApp: a text inside the 24-hour window,
an approved template outside it), queued as a durable job in the same transaction as the
message; on the web the stored message is the delivery.

Every pause, reply, resume and assignment writes an audit row in the same transaction.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from uuid import UUID

from pydantic_ai import ModelMessagesTypeAdapter
from pydantic_ai.messages import ModelRequest, UserPromptPart

from ignacio_agents.db import Conn
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.engine.human import ConversationPaused, history_entry
from ignacio_agents.errors import Forbidden, NotFound
from ignacio_agents.notify import publish
from ignacio_agents.store import Store
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.mentoring import Pause
from ignacio_agents.store.messages import NewMessage, StoredMessage
from ignacio_agents.store.users import StoredUser

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

__all__ = ["ConversationPaused", "HumanChannel", "conversation_for", "pause", "reply", "resume"]

log = logging.getLogger(__name__)

DELIVER_TASK = "mentoring:deliver_human_message"


def mentor_label(name: str | None) -> str:
    """How a human's message is signed to the participant."""
    return f"Mentor · {name}" if name else "Mentor"


def mentor_history_text(author_name: str | None, text: str) -> str:
    """A mentor's message as the model reads it in the history: a human's words, not its own."""
    who = author_name or "a mentor"
    return (f"[Message from {who}, a human mentor of the program, written to the participant "
            f"while Ignacio was paused. These are the mentor's words, not Ignacio's.]\n{text}")


@runtime_checkable
class HumanChannel(Protocol):
    """A channel that delivers a human's message and staff alerts itself (after the request)."""

    async def send_human_message(self, runtime: Runtime, message: StoredMessage) -> None:
        """Send a stored mentor message to its participant (exactly once per part). Raises
        ``SendFailed`` when it could not be sent."""
        ...

    async def send_staff_alert(self, runtime: Runtime, recipient: StoredUser,
                               participant_name: str) -> bool:
        """Tell a mentor or admin that a participant asked for a person; False when the
        recipient cannot be reached on this channel."""
        ...


# --- who may act on what ------------------------------------------------------------------------

def is_staff(user: StoredUser) -> bool:
    return user.is_admin or user.is_mentor


async def may_act_on(store: Store, actor: StoredUser, participant_id: UUID) -> bool:
    """Admins act on everyone; a mentor on the participants assigned to them."""
    if actor.is_admin:
        return True
    return actor.is_mentor and await store.mentoring.is_assigned(actor.id, participant_id)


async def conversation_for(store: Store, actor: StoredUser, conversation_id: UUID) -> Conversation:
    """The conversation if ``actor`` may act on it; otherwise the same 404 as a missing one
    (a mentor learns nothing about other mentors' participants)."""
    if not is_staff(actor):
        raise Forbidden("mentors and admins only")
    conversation = await store.conversations.get(conversation_id)
    if conversation is None or not await may_act_on(store, actor, conversation.user_id):
        raise NotFound.of("conversation")
    return conversation


# --- pause, reply, resume -----------------------------------------------------------------------

async def current_pause(store: Store, timeout_seconds: float, conversation_id: UUID) -> Pause | None:
    return await store.mentoring.get_pause(conversation_id, timeout_seconds=timeout_seconds)


async def _announce(conn: Conn, conversation: Conversation, *, paused: bool) -> None:
    """Tabs showing the conversation learn (at commit) that a human took or returned it."""
    await publish(conn, "conversation.updated", {
        "user_id": conversation.user_id, "conversation_id": conversation.id,
        "data": {"paused": paused}})


async def pause(runtime: Runtime, actor: StoredUser, conversation: Conversation, *,
                client_ip: str | None) -> Pause:
    store = runtime.store
    async with store.db.transaction() as tx:
        result = await store.mentoring.pause(
            conversation.id, actor.id,
            timeout_seconds=runtime.settings.mentor_pause_timeout_seconds, conn=tx)
        await _announce(tx, conversation, paused=True)
        await store.audit.record(actor_id=actor.id, action="conversation.pause",
                                 target_type="conversation", target_id=conversation.id,
                                 client_ip=client_ip,
                                 details={"user_id": str(conversation.user_id)}, conn=tx)
    return result


async def resume(runtime: Runtime, actor: StoredUser, conversation: Conversation, *,
                 client_ip: str | None) -> bool:
    store = runtime.store
    async with store.db.transaction() as tx:
        ended = await store.mentoring.resume(conversation.id, conn=tx)
        await _announce(tx, conversation, paused=False)
        await store.audit.record(actor_id=actor.id, action="conversation.resume",
                                 target_type="conversation", target_id=conversation.id,
                                 client_ip=client_ip,
                                 details={"user_id": str(conversation.user_id), "was_paused": ended},
                                 conn=tx)
    return ended


async def reply(runtime: Runtime, actor: StoredUser, conversation: Conversation, text: str, *,
                client_ip: str | None) -> StoredMessage:
    """Store the human's message (pausing the AI if it was not paused: a human answering
    means the AI waits), queue its delivery when the channel sends after the request, and
    audit it; all in one transaction."""
    store = runtime.store
    channel = runtime.channels.by_name(conversation.channel)
    deferred = isinstance(channel, HumanChannel) and runtime.channels.traits(
        conversation.channel).defers_delivery
    model_messages, tokens = history_entry(mentor_history_text(actor.name, text))
    async with store.db.transaction() as tx:
        await store.mentoring.pause(conversation.id, actor.id,
                                    timeout_seconds=runtime.settings.mentor_pause_timeout_seconds,
                                    conn=tx)
        message = await store.messages.add(NewMessage(
            conversation_id=conversation.id, user_id=conversation.user_id, is_from_user=False,
            content=text, channel=conversation.channel, author_id=actor.id,
            status=DeliveryStatus.pending if deferred else DeliveryStatus.sent,
            model_messages=model_messages, usage={"history_tokens": tokens},
        ), conn=tx)
        assert message is not None
        if deferred:
            await runtime.jobs.configure_task(
                DELIVER_TASK, lock=f"conv:{conversation.id}",
                queueing_lock=f"human:{message.id}", connection=tx,
            ).defer_async(message_id=str(message.id))
        await store.audit.record(actor_id=actor.id, action="conversation.reply",
                                 target_type="message", target_id=message.id, client_ip=client_ip,
                                 details={"conversation_id": str(conversation.id),
                                          "user_id": str(conversation.user_id),
                                          "channel": conversation.channel, "chars": len(text)},
                                 conn=tx)
        from ignacio_agents.store.attention import AttentionKind

        await store.attention.resolve_open(conversation.id, AttentionKind.mentor_request, actor.id,
                                           "answered by a mentor", conn=tx)
    return message


def stored_history_text(model_messages: list[object]) -> str:
    """The text of a stored one-request history entry (tests and the transcript)."""
    [request] = ModelMessagesTypeAdapter.validate_python(model_messages)
    assert isinstance(request, ModelRequest)
    return "\n".join(str(p.content) for p in request.parts if isinstance(p, UserPromptPart))
