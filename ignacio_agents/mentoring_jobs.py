"""The durable side of mentoring: delivering a human's message on channels that send after
the request, and alerting staff that a participant asked for a person.

Both are procrastinate jobs queued in the transaction that stored what they act on. Delivery
runs under the conversation's lock (``conv:{id}``, the same as the channel's answer jobs), so
a mentor's message and the answers around it go out in order. An alert is sent at most once per
conversation and recipient per ``MENTOR_ALERT_INTERVAL_SECONDS`` (the claim is a row written
before sending, serialised per pair, so two requests at once still alert once).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from procrastinate import Blueprint, JobContext, RetryStrategy

from ignacio_agents.channel import SendFailed
from ignacio_agents.jobs import runtime_of
from ignacio_agents.mentoring import HumanChannel

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

NAMESPACE = "mentoring"


def mentoring_jobs() -> Blueprint:
    """The ``mentoring`` blueprint, fresh per job app (procrastinate renames tasks in place)."""
    bp = Blueprint()
    bp.ignacio_namespace = NAMESPACE  # type: ignore[attr-defined]
    bp.task(name="deliver_human_message", pass_context=True,
            retry=RetryStrategy(max_attempts=2, wait=2))(deliver_human_message)
    bp.task(name="alert_staff", pass_context=True,
            retry=RetryStrategy(max_attempts=2, wait=2))(alert_staff)
    return bp


async def deliver_human_message(context: JobContext, message_id: str) -> None:
    await deliver(runtime_of(context), UUID(message_id))


async def deliver(runtime: Runtime, message_id: UUID) -> None:
    message = await runtime.store.messages.get(message_id)
    if message is None:
        log.info("mentor message %s is gone; nothing to send", message_id)
        return
    channel = runtime.channels.by_name(message.channel)
    if not isinstance(channel, HumanChannel):
        log.warning("channel %s cannot send a mentor's message", message.channel)
        return
    try:
        await channel.send_human_message(runtime, message)
    except SendFailed as exc:  # stored as failed on the message: the queue shows it
        log.warning("mentor message %s failed (code %s)", message.id, exc.code)


async def alert_staff(context: JobContext, conversation_id: str, message_id: str) -> int:
    return await send_alerts(runtime_of(context), UUID(conversation_id))


async def send_alerts(runtime: Runtime, conversation_id: UUID) -> int:
    """Alert the participant's mentors (or every admin); return how many alerts went out."""
    store = runtime.store
    conversation = await store.conversations.get(conversation_id)
    if conversation is None:
        return 0
    participant = await store.users.get(conversation.user_id)
    if participant is None:
        return 0
    sent = 0
    for recipient_id in await store.mentoring.staff_to_alert(participant.id):
        if not await store.mentoring.claim_alert(
                conversation_id, recipient_id,
                window_seconds=runtime.settings.mentor_alert_interval_seconds):
            continue
        recipient = await store.users.get(recipient_id)
        if recipient is None:
            continue
        for channel in runtime.channels:
            if not isinstance(channel, HumanChannel):
                continue
            try:
                if await channel.send_staff_alert(runtime, recipient, participant.name or ""):
                    sent += 1
            except SendFailed as exc:
                log.warning("mentor alert to user %s failed (code %s)", recipient_id, exc.code)
    return sent
