"""A turn's resolved context: the user, their conversation and the attached files, checked once.

A channel that has already checked them (the web API authenticates the user, owns the
conversation and each file) hands the engine a ``TurnContext`` and nothing is fetched again;
a channel that only has ids (a WhatsApp job) hands an ``InboundMessage`` and
``resolve_context`` does the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ignacio_agents.domain import InboundMessage, MessageType
from ignacio_agents.errors import NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.files import UserFile
from ignacio_agents.store.messages import NewMessage, StoredMessage
from ignacio_agents.store.turns import TurnStart
from ignacio_agents.store.users import StoredUser
from ignacio_agents.usage_caps import Hold


class TurnRejected(NotFound):
    """The turn cannot start: unknown or inactive user, or a conversation that is not theirs."""

    code = "turn_rejected"


@dataclass(frozen=True)
class TurnContext:
    """One turn's inbound message with what it refers to, already checked to belong together."""

    inbound: InboundMessage
    user: StoredUser
    conversation: Conversation
    # The attachments' stored files, in order; an attachment whose file is gone is left out.
    files: tuple[UserFile, ...] = field(default_factory=tuple)
    # The token reservation the channel took before the turn (the web's 429 comes before any
    # work); without one, the engine takes it and a turn over a cap raises UsageCapReached.
    hold: Hold | None = None


async def resolve_context(store: Store, inbound: InboundMessage,
                          start: TurnStart | None = None) -> TurnContext:
    """Load and check the user, the conversation and the attached files of ``inbound``
    (``start``: the turn's opening read, which already holds the user and the conversation)."""
    if start is None:
        user = await store.users.get(inbound.user_id)
        conversation = (await store.conversations.get(inbound.conversation_id, user_id=user.id)
                        if user is not None else None)
    else:
        user, conversation = start.user, start.conversation
    if user is None or not user.is_active:
        raise TurnRejected("unknown or inactive user")
    if conversation is None:
        raise TurnRejected("conversation not found for this user")
    files = []
    for attachment in inbound.attachments:
        meta = await store.files.get(attachment.file_id, user_id=user.id)
        if meta is not None:
            files.append(meta)
    return TurnContext(inbound=inbound, user=user, conversation=conversation, files=tuple(files))


async def user_message(store: Store, context: TurnContext,
                       read: StoredMessage | None = None) -> StoredMessage:
    """The turn's stored user message: the one the channel stored, or stored now. ``read``:
    the channel's stored message as the turn's opening read found it (not read again)."""
    inbound = context.inbound
    if inbound.message_id is not None:
        stored = read if read is not None and read.id == inbound.message_id else \
            await store.messages.get(inbound.message_id, user_id=inbound.user_id)
        if stored is None:
            raise TurnRejected("the stored user message does not exist")
        return stored
    first = inbound.attachments[0] if inbound.attachments else None
    meta = next((f for f in context.files if first and f.id == first.file_id), None)
    message = await store.messages.add(NewMessage(
        conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=True,
        content=inbound.text or None, channel=inbound.channel,
        message_type=first.kind if first else MessageType.text, file_id=meta.id if meta else None,
        file_path=meta.file_path if meta else None, external_id=inbound.external_id,
    ))
    if message is None:  # a replayed channel message id: answer against the stored one
        message = await store.messages.get_by_external_id(inbound.external_id or "")
        if message is None:
            raise TurnRejected("duplicate message id")
    return message
