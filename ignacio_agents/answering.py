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
from uuid import UUID

from ignacio_agents.channel import Sender
from ignacio_agents.delivery import DeliveryReport, deliver, release_held, typing_indicator
from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import TurnRejected
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import StoredMessage

log = logging.getLogger(__name__)

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


async def answer_stored(runtime: Runtime, sender: Sender, message_id: UUID, to: str,
                        compose: Compose) -> DeliveryReport | None:
    """Answer the stored inbound message ``message_id`` once and deliver it to ``to``; None
    when there is nothing to send (the message or its participant is gone)."""
    store = runtime.store.messages
    inbound = await store.get(message_id)
    if inbound is None:
        log.info("message %s is gone (deleted); nothing to answer", message_id)
        return None
    # The participant wrote: answers that waited for that go first, in order.
    blocked = await release_held(store, sender, inbound.conversation_id, to)
    if blocked is not None:
        return blocked
    reply = await store.reply_for(inbound.id)
    if reply is None:
        async with typing_indicator(sender, inbound.external_id):
            reply = await compose(inbound)
    if reply is None:
        return None
    report = await deliver(store, sender, reply, to, inbound.external_id)
    log.info("reply %s: %d part(s), %d sent now%s", reply.id, report.parts, report.sent_now,
             f", failed {report.failed_code}" if report.failed_code else "")
    return report
