"""Sending a stored assistant message through a channel, part by part, exactly once per part.

The same for every channel that defers delivery (a :class:`~ignacio_agents.channel.Sender`):
each part's outbound id is stored (``message_deliveries``) the moment the channel accepts it,
so a job that runs again after a crash sends only the parts that have no id yet. The one window
left is a crash after the channel accepted a part and before its id was stored: that part is
sent again. Channels such as WhatsApp offer no idempotency key, so a rare duplicate part is
preferred over a lost one.

A part the channel gives up on (a permanent error, or its retries running out) marks the part
and the message ``failed`` with the channel's error code; a failed message is never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ignacio_agents.channel import Sender, SendFailed
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.store.messages import MessageStore, StoredMessage

log = logging.getLogger(__name__)

TYPING_REFRESH_SECONDS = 20.0  # typing indicators fade (WhatsApp: after 25 s)


@dataclass(frozen=True)
class DeliveryReport:
    parts: int
    sent_now: int
    failed_code: str | None = None


async def deliver(messages: MessageStore, sender: Sender, reply: StoredMessage, to: str,
                  reply_to: str | None) -> DeliveryReport:
    """Send the parts of ``reply`` that were not sent yet; the first quotes ``reply_to``."""
    parts = sender.render(reply)
    done = {d.part_index: d for d in await messages.deliveries(reply.id)}
    failed = next((d for d in done.values() if d.status is DeliveryStatus.failed), None)
    if failed is not None:
        return DeliveryReport(len(parts), 0, failed.error_code)
    sent_now = 0
    last_id = next((d.external_id for d in done.values() if d.external_id), None)
    for index, body in enumerate(parts):
        if index in done and done[index].external_id:
            continue
        try:
            external_id = await sender.send_part(to, body, reply_to=reply_to if index == 0 else None)
        except SendFailed as exc:
            await messages.add_delivery(reply.id, index, external_id=None,
                                        status=DeliveryStatus.failed, error_code=exc.code)
            await messages.set_status(reply.id, DeliveryStatus.failed, exc.code)
            log.warning("reply %s part %d/%d failed (code %s, retryable=%s)",
                        reply.id, index + 1, len(parts), exc.code, exc.retryable)
            return DeliveryReport(len(parts), sent_now, exc.code)
        await messages.add_delivery(reply.id, index, external_id=external_id,
                                    status=DeliveryStatus.sent)
        sent_now += 1
        last_id = external_id
    if last_id is not None:
        # Roll the message's status up from its parts (a delivery report may already have
        # moved an early part to delivered; never move the message backward).
        await messages.apply_status(last_id, DeliveryStatus.sent)
    return DeliveryReport(len(parts), sent_now)


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
