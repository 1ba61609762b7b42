"""Sending a stored assistant message through a channel, part by part, exactly once per part.

The same for every channel that defers delivery (a :class:`~ignacio_agents.channel.Sender`):
each part's outbound id is stored (``message_deliveries``) the moment the channel accepts it,
so a job that runs again after a crash or a retry sends only the parts that have no id yet. The
one window left is a crash after the channel accepted a part and before its id was stored: that
part is sent again. Channels such as WhatsApp offer no idempotency key, so a rare duplicate part
is preferred over a lost one.

A send that fails ends the pass with an :class:`Outcome` the caller acts on:

* ``retry``: the channel may accept it later (a rate limit, an outage). Nothing is marked
  failed; the part keeps the last error code for the transcript and the durable job runs again
  after a back-off (:func:`retry_delay`).
* ``window_closed``: the channel only takes this answer after the participant writes again.
  The caller holds the reply (``MessageStore.hold``) and tells the participant it is waiting;
  :func:`release_held` sends it when they write.
* ``failed``: a permanent error. The part and the message are marked ``failed`` with the
  channel's code, shown in the admin transcript; a failed message is never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from ignacio_agents.channel import Sender, SendFailed
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.store.messages import MessageStore, StoredMessage

log = logging.getLogger(__name__)

TYPING_REFRESH_SECONDS = 20.0  # typing indicators fade (WhatsApp: after 25 s)


class Outcome(StrEnum):
    sent = "sent"
    retry = "retry"
    window_closed = "window_closed"
    failed = "failed"


@dataclass(frozen=True)
class DeliveryReport:
    parts: int
    sent_now: int
    failed_code: str | None = None
    outcome: Outcome = Outcome.sent
    reply_id: UUID | None = None


def retry_delay(attempt: int, *, base: float, cap: float, floor: float = 0.0,
                jitter: Callable[[], float] = random.random) -> float:
    """Seconds before retry number ``attempt`` (0 first): ``base * 4**attempt`` capped at
    ``cap``, scaled by a random factor in [0.5, 1) so a recovered service is not hit by every
    queued job at once, and never below ``floor`` (a channel's minimum pause, e.g. WhatsApp's
    6 s between two messages to one participant)."""
    exponent = min(max(attempt, 0), 32)
    return float(max(floor, min(cap, base * 4 ** exponent) * (0.5 + jitter() / 2)))


async def deliver(messages: MessageStore, sender: Sender, reply: StoredMessage, to: str,
                  reply_to: str | None, *, fresh: bool = False) -> DeliveryReport:
    """Send the parts of ``reply`` that were not sent yet; the first quotes ``reply_to``.
    ``fresh``: the caller stored ``reply`` just now, so none of its parts can have gone out
    yet (they are not read)."""
    parts = sender.render(reply)
    done = {} if fresh else {d.part_index: d for d in await messages.deliveries(reply.id)}
    failed = next((d for d in done.values() if d.status is DeliveryStatus.failed), None)
    if failed is not None:
        return DeliveryReport(len(parts), 0, failed.error_code, Outcome.failed, reply.id)
    sent_now = 0
    last_id = next((d.external_id for d in done.values() if d.external_id), None)
    for index, body in enumerate(parts):
        if index in done and done[index].external_id:
            continue
        try:
            external_id = await sender.send_part(to, body, reply_to=reply_to if index == 0 else None)
        except SendFailed as exc:
            outcome = await _failed_part(messages, reply, index, len(parts), exc)
            return DeliveryReport(len(parts), sent_now, exc.code, outcome, reply.id)
        # With the last part, roll the message's status up from its parts (a delivery report
        # may already have moved an early part to delivered; never move the message backward).
        last = index == len(parts) - 1
        await messages.add_delivery(reply.id, index, external_id=external_id,
                                    status=DeliveryStatus.sent, roll_up=last)
        sent_now += 1
        last_id = None if last else external_id
    if last_id is not None:  # the last part went out before (a resumed job): roll up now
        await messages.apply_status(last_id, DeliveryStatus.sent)
    return DeliveryReport(len(parts), sent_now, reply_id=reply.id)


async def _failed_part(messages: MessageStore, reply: StoredMessage, index: int, total: int,
                       exc: SendFailed) -> Outcome:
    """Record a part the channel refused, as far as the kind of failure allows."""
    if exc.window_closed:
        outcome = Outcome.window_closed
    elif exc.retryable:
        outcome = Outcome.retry
    else:
        outcome = Outcome.failed
    status = DeliveryStatus.failed if outcome is Outcome.failed else DeliveryStatus.pending
    await messages.add_delivery(reply.id, index, external_id=None, status=status,
                                error_code=exc.code)
    await messages.set_status(reply.id, status, exc.code)
    log.warning("reply %s part %d/%d not sent (code %s): %s", reply.id, index + 1, total,
                exc.code, outcome.value)
    return outcome


async def release_held(messages: MessageStore, sender: Sender, conversation_id: UUID,
                       to: str) -> DeliveryReport | None:
    """Send the replies of a conversation that waited for the participant to write again
    (oldest first), each quoting the question it answers. Returns the first report that did
    not end ``sent`` (the caller retries or holds again), else None."""
    for reply in await messages.held_replies(conversation_id):
        question = await messages.get(reply.reply_to_id) if reply.reply_to_id else None
        report = await deliver(messages, sender, reply, to,
                               question.external_id if question else None)
        if report.outcome is not Outcome.sent:
            return report  # still held: the job's retry (or the next message) tries again
        await messages.unhold(reply.id)
        log.info("held reply %s sent after the participant wrote again", reply.id)
    return None


@contextlib.asynccontextmanager
async def typing_indicator(sender: Sender, external_id: str | None) -> AsyncIterator[None]:
    """Read receipt plus "typing…" on the participant's message while the body runs
    (refreshed, since channels hide it after a while). Best effort: a failure here never stops
    the answer."""
    if not external_id:
        yield
        return

    async def mark() -> None:
        try:
            await sender.mark_read(external_id, typing=True)
        except SendFailed as exc:
            log.info("mark-as-read failed (code %s); answering anyway", exc.code)

    async def refresh() -> None:
        while True:
            await asyncio.sleep(TYPING_REFRESH_SECONDS)
            await mark()

    await mark()
    task = asyncio.create_task(refresh())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
