"""WhatsApp for the program's staff: a mentor's message to a participant, and the alert a
mentor gets when a participant asks for a person.

A mentor's message is signed ``*Mentor · Name*`` and sent like an answer (part by part,
exactly once, ``ignacio_agents.delivery``) while the participant's 24-hour window is open;
after it closes only an approved template may be sent, so it goes out as
``WHATSAPP_MENTOR_REPLY_TEMPLATE`` with the mentor's name and the message as its parameters.
Alerts are the utility template ``WHATSAPP_MENTOR_ALERT_TEMPLATE`` (outside any window too).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from channels.whatsapp.client import GraphError, send_with_retry
from channels.whatsapp.formatting import split_message
from ignacio_agents.channel import ChannelTraits, SendFailed
from ignacio_agents.delivery import Outcome, deliver
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.mentoring import mentor_label
from ignacio_agents.store.messages import StoredMessage
from ignacio_agents.store.users import StoredUser

if TYPE_CHECKING:
    from channels.whatsapp.channel import WhatsAppChannel
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=24)
# Template body parameters may not hold newlines, tabs or more than four spaces in a row.
TEMPLATE_PARAM_LIMIT = 900
TEMPLATE_ATTEMPTS = 3  # quick tries in the job; the job's own retry comes after


def template_param(text: str) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= TEMPLATE_PARAM_LIMIT else flat[:TEMPLATE_PARAM_LIMIT - 1] + "…"


def body_parameters(*values: str) -> list[dict[str, Any]]:
    return [{"type": "body", "parameters": [{"type": "text", "text": template_param(v)}
                                            for v in values]}]


class SignedSender:
    """The channel as a :class:`Sender` that renders a mentor's message with its signature."""

    def __init__(self, channel: WhatsAppChannel) -> None:
        self.channel = channel

    @property
    def traits(self) -> ChannelTraits:
        return self.channel.traits

    def render(self, reply: StoredMessage) -> list[str]:
        # The mentor's own words as typed (WhatsApp shows *bold* and _italic_ marks itself).
        text = f"*{mentor_label(reply.author_name)}*\n{reply.content or ''}"
        return [part for part in split_message(text) if part.strip()] or ["…"]

    async def send_part(self, to: str, text: str, *, reply_to: str | None) -> str:
        return await self.channel.send_part(to, text, reply_to=reply_to)

    async def mark_read(self, external_id: str, *, typing: bool) -> None:
        await self.channel.mark_read(external_id, typing=typing)


async def window_open(runtime: Runtime, user_id: Any, now: datetime | None = None) -> bool:
    """Whether the participant wrote within the last 24 hours (free-form messages allowed)."""
    from channels.whatsapp.channel import NAME

    last = await runtime.store.mentoring.last_inbound_at(user_id, NAME)
    return last is not None and (now or datetime.now(UTC)) - last < SERVICE_WINDOW


async def send_human_message(channel: WhatsAppChannel, runtime: Runtime,
                             message: StoredMessage) -> None:
    """Inside the window: the signed text, part by part. Outside it (by our records, or as
    Meta answers 131047): the approved template, once. A retryable failure raises, so the job
    runs again; a permanent one is stored as failed (and reaches the attention queue)."""
    store = runtime.store
    participant = await store.users.get(message.user_id)
    if participant is None:
        return
    to = participant.phone_number
    if await window_open(runtime, participant.id):
        report = await deliver(store.messages, SignedSender(channel), message, to, None)
        if report.outcome is Outcome.retry:
            raise SendFailed(report.failed_code or "retry", True)
        if report.outcome is not Outcome.window_closed or report.sent_now:
            return
    done = await store.messages.deliveries(message.id)
    if any(d.external_id or d.status is DeliveryStatus.failed for d in done):
        return  # already sent (or given up on) by an earlier run
    settings = channel.settings
    components = body_parameters(message.author_name or "Mentor", message.content or "")
    try:
        wamid = await _template(channel, to, settings.mentor_reply_template, components)
    except SendFailed as exc:
        if not exc.retryable:
            await store.messages.add_delivery(message.id, 0, external_id=None,
                                              status=DeliveryStatus.failed, error_code=exc.code)
            await store.messages.set_status(message.id, DeliveryStatus.failed, exc.code)
        raise
    await store.messages.add_delivery(message.id, 0, external_id=wamid, status=DeliveryStatus.sent)
    await store.messages.apply_status(wamid, DeliveryStatus.sent)


async def _template(channel: WhatsAppChannel, to: str, name: str,
                    components: list[dict[str, Any]]) -> str:
    client = channel.require_client()
    language = channel.settings.mentor_template_language
    try:
        return await send_with_retry(
            lambda: client.send_template(to, name, language, components),
            attempts=TEMPLATE_ATTEMPTS, base_delay=0.5, max_delay=4.0)
    except GraphError as exc:
        from channels.whatsapp.channel import send_failed

        raise send_failed(exc) from exc


async def send_staff_alert(channel: WhatsAppChannel, recipient: StoredUser,
                           participant_name: str) -> bool:
    if channel.client is None:
        return False
    await _template(channel, recipient.phone_number, channel.settings.mentor_alert_template,
                    body_parameters(participant_name or "—"))
    return True
