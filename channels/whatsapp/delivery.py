"""Sending a stored assistant message to WhatsApp, part by part, exactly once per part.

Each part's outbound wamid is stored (``message_deliveries``) the moment Graph accepts it, so a
job that runs again after a crash sends only the parts that have no wamid yet. The one window
left is a crash after Graph accepted a part and before its wamid was stored: that part is sent
again. WhatsApp offers no idempotency key, so a rare duplicate part is preferred over a lost one.

Retryable Graph errors (130429 throughput, 131056 pair rate limit, 5xx, timeouts) are retried
inside the job with a short backoff (not as a delayed procrastinate retry: a job scheduled in the
future blocks every later job of its conversation lock, procrastinate#1599). A permanent error,
or retries running out, marks the part and the message ``failed`` with the error code; a failed
message is never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from channels.whatsapp.client import GraphError, WhatsAppClient, send_with_retry
from channels.whatsapp.formatting import split_message, to_whatsapp
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.responses import parse_answer
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import Message

log = logging.getLogger(__name__)

SEND_BASE_DELAY = 0.5  # seconds; doubles per attempt (with jitter), capped below
SEND_MAX_DELAY = 4.0
TYPING_REFRESH_SECONDS = 20.0  # WhatsApp drops the typing indicator after 25 s


@dataclass(frozen=True)
class DeliveryReport:
    parts: int
    sent_now: int
    failed_code: str | None = None


def whatsapp_parts(reply: Message) -> list[str]:
    """The ordered WhatsApp texts (each ≤ 4096 characters) of a stored assistant message.

    Derived from what is stored, never from the turn's in-memory result, so a resumed job cuts
    the answer exactly as the first attempt did.
    """
    text = ""
    if reply.answer:
        try:
            text = parse_answer(reply.answer).to_whatsapp()
        except ValueError:
            text = ""
    if not text.strip():
        text = to_whatsapp(reply.content or "")
    return [part for part in split_message(text) if part.strip()] or ["…"]


def error_code_of(exc: GraphError) -> str:
    if exc.code is not None:
        return str(exc.code)
    return f"http_{exc.http_status}" if exc.http_status is not None else "timeout"


async def deliver(
    runtime: Runtime, client: WhatsAppClient, reply: Message, to: str,
    reply_to_wamid: str | None,
) -> DeliveryReport:
    """Send the parts of ``reply`` that were not sent yet; the first quotes the user's message."""
    store = runtime.store.messages
    parts = whatsapp_parts(reply)
    done = {d.part_index: d for d in await store.deliveries(reply.id)}
    failed = next((d for d in done.values() if d.status is DeliveryStatus.failed), None)
    if failed is not None:
        return DeliveryReport(len(parts), 0, failed.error_code)
    sent_now = 0
    last_wamid = next((d.whatsapp_message_id for d in done.values() if d.whatsapp_message_id),
                      None)
    for index, body in enumerate(parts):
        if index in done and done[index].whatsapp_message_id:
            continue
        context = reply_to_wamid if index == 0 else None
        try:
            wamid = await send_with_retry(
                lambda body=body, context=context: client.send_text(to, body, reply_to=context),
                attempts=max(1, runtime.settings.whatsapp_send_max_attempts),
                base_delay=SEND_BASE_DELAY, max_delay=SEND_MAX_DELAY,
            )
        except GraphError as exc:
            code = error_code_of(exc)
            await store.add_delivery(reply.id, index, whatsapp_message_id=None,
                                     status=DeliveryStatus.failed, error_code=code)
            await store.set_status(reply.id, DeliveryStatus.failed, code)
            log.warning("whatsapp reply %s part %d/%d failed (code %s, retryable=%s)",
                        reply.id, index + 1, len(parts), code, exc.retryable)
            return DeliveryReport(len(parts), sent_now, code)
        await store.add_delivery(reply.id, index, whatsapp_message_id=wamid,
                                 status=DeliveryStatus.sent)
        sent_now += 1
        last_wamid = wamid
    if last_wamid is not None:
        # Roll the message's status up from its parts (a status webhook may already have
        # moved an early part to delivered; never move the message backward).
        await store.apply_status(last_wamid, DeliveryStatus.sent)
    return DeliveryReport(len(parts), sent_now)


@contextlib.asynccontextmanager
async def typing_indicator(client: WhatsAppClient, wamid: str | None) -> AsyncIterator[None]:
    """Blue ticks plus "typing…" on the user's message while the body runs (refreshed, since
    WhatsApp hides it after 25 s). Best effort: a failure here never stops the answer."""
    if not wamid:
        yield
        return

    async def mark() -> None:
        try:
            await client.mark_read(wamid, typing=True)
        except GraphError as exc:
            log.info("whatsapp mark-as-read failed (code %s); answering anyway", exc.code)

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
