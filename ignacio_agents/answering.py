"""Answering a stored inbound message once, for any channel that defers delivery.

The durable job a channel queues with the message runs this: if the answer is already stored
(a job resumed after a crash), the model is not run again and only the parts not yet sent go
out; otherwise the participant sees "read, typing…" while the answer is composed (by the
engine, or by the channel's own ``compose`` for fixed replies), then it is delivered part by
part exactly once (``ignacio_agents.delivery``). Replies that waited for the participant to
write again (a closed reply window) are sent first, so answers arrive in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from uuid import UUID

from ignacio_agents.channel import Sender
from ignacio_agents.delivery import DeliveryReport, deliver, release_held, typing_indicator
from ignacio_agents.domain import DeliveryStatus, InboundMessage
from ignacio_agents.engine import TurnRejected
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import StoredMessage

log = logging.getLogger(__name__)

CANCELLED = "cancelled"  # the error code of an answer whose question was deleted before it went out

# Stores a new reply to the message and returns it (None: no reply).
Compose = Callable[[StoredMessage], Awaitable[StoredMessage | None]]


def engine_composer(runtime: Runtime, channel: str) -> Compose:
    """Compose with an engine turn on the stored message (its text, no attachments)."""

    async def compose(inbound: StoredMessage) -> StoredMessage | None:
        turn = InboundMessage(
            user_id=inbound.user_id, conversation_id=inbound.conversation_id, channel=channel,
            text=inbound.content or "", external_id=inbound.external_id,
            message_id=inbound.id,
        )
        try:
            return (await runtime.engine.run_turn(turn)).message
        except TurnRejected:
            log.info("message %s not answered: its user or conversation is gone", inbound.id)
            return None

    return compose


async def _deleted_meanwhile(runtime: Runtime, message_id: UUID, reply: StoredMessage) -> bool:
    """The question was deleted while its answer was composed: an answer with no part out yet
    is cancelled (kept, marked failed as ``cancelled``); one already partly out is finished."""
    current = await runtime.store.messages.get(message_id)
    if current is not None and current.deleted_at is None:
        return False
    if any(d.external_id for d in await runtime.store.messages.deliveries(reply.id)):
        return False
    await runtime.store.messages.set_status(reply.id, DeliveryStatus.failed, CANCELLED)
    log.info("reply %s cancelled: its question was deleted before it was sent", reply.id)
    return True


class Unread(Enum):
    """A reply the caller has not looked for (``answer_stored`` reads it)."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


async def answer_stored(runtime: Runtime, sender: Sender, message_id: UUID, to: str,
                        compose: Compose, *, inbound: StoredMessage | None = None,
                        reply: StoredMessage | Unread | None = UNREAD,
                        held: bool = True) -> DeliveryReport | None:
    """Answer the stored inbound message ``message_id`` once and deliver it to ``to``; None
    when there is nothing to send (the message or its participant is gone).

    A caller that already read the message (``inbound``), its current reply (``reply``, None
    for none) or whether its conversation holds replies (``held=False``: none) passes them,
    and they are not read again: each is a round trip per answered message."""
    store = runtime.store.messages
    if inbound is None:
        inbound = await store.get(message_id)
    if inbound is None:
        log.info("message %s is gone (deleted); nothing to answer", message_id)
        return None
    # The participant wrote: answers that waited for that go first, in order.
    if held:
        blocked = await release_held(store, sender, inbound.conversation_id, to)
        if blocked is not None:
            return blocked
    if inbound.deleted_at is not None:
        log.info("message %s was deleted by its author; not answered", message_id)
        return None
    if reply is UNREAD:
        reply = await store.reply_for(inbound.id)
    composed = reply is None  # stored by this run: nothing of it was sent before
    if reply is None:
        async with typing_indicator(sender, inbound.external_id):
            reply = await compose(inbound)
        if reply is None:
            return None
        # Composing takes the model's time: the participant may have deleted the question.
        if await _deleted_meanwhile(runtime, inbound.id, reply):
            return None
    report = await deliver(store, sender, reply, to, inbound.external_id, fresh=composed)
    log.info("reply %s: %d part(s), %d sent now%s", reply.id, report.parts, report.sent_now,
             f", failed {report.failed_code}" if report.failed_code else "")
    return report
