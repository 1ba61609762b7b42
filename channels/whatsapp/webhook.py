"""Meta's webhook, as a service: the verification handshake and one signed delivery.

Receiving does the least that makes a delivery durable: check the signature over the raw
bytes, parse, store each inbound message once and queue its answer
(``channels.whatsapp.inbound``). No model work and no Graph calls happen here, so the
acknowledgement stays in the low milliseconds (``bench/webhook_latency.py``). The HTTP route
(``api/routers/whatsapp.py``) maps the outcome: 401 for a bad signature (nothing stored), 400
for a body that is not a WhatsApp webhook, 503 when our own storage failed mid-delivery, so
that Meta delivers it again (everything already stored is then a no-op replay).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping

from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.inbound import InboundHandler, Outcome
from channels.whatsapp.payload import NotAWebhookPayload, WebhookItem, parse_webhook_items
from channels.whatsapp.signature import SIGNATURE_HEADER, verify_signature
from ignacio_agents.runtime import Runtime

__all__ = ["InvalidSignature", "NotAWebhookPayload", "receive", "verified_challenge"]

log = logging.getLogger(__name__)

# Bodies above this are parsed in a thread (Meta batches up to 1000 updates, 3 MB); a typical
# single-message body parses in tens of microseconds, less than a thread hop costs.
_THREAD_PARSE_BYTES = 64 * 1024


class InvalidSignature(Exception):
    """The delivery is not signed with our app secret (or WhatsApp is not enabled here)."""


def verified_challenge(runtime: Runtime, params: Mapping[str, str]) -> str | None:
    """``hub.challenge`` when ``hub.verify_token`` is ours, else None (refuse)."""
    channel = runtime.channels.get(WhatsAppChannel)
    expected = channel.settings.verify_token if channel is not None else None
    token = params.get("hub.verify_token") or ""
    if (
        params.get("hub.mode") == "subscribe"
        and expected is not None
        and token
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return params.get("hub.challenge") or ""
    return None


async def receive(runtime: Runtime, body: bytes, headers: Mapping[str, str]) -> Outcome:
    """Handle one delivery. Raises :class:`InvalidSignature`, :class:`NotAWebhookPayload`, or
    whatever storing failed with (the caller asks Meta to deliver again)."""
    channel = runtime.channels.get(WhatsAppChannel)
    secret = channel.settings.app_secret if channel is not None else None
    if secret is None or not verify_signature(
        secret.get_secret_value(), body, headers.get(SIGNATURE_HEADER)
    ):
        log.warning("whatsapp webhook with a missing or invalid signature refused")
        raise InvalidSignature
    items: list[WebhookItem]
    if len(body) > _THREAD_PARSE_BYTES:
        items = await asyncio.to_thread(parse_webhook_items, body)
    else:
        items = parse_webhook_items(body)
    outcome = await InboundHandler(runtime).handle(items)
    log.debug("whatsapp webhook handled: %s", outcome)
    return outcome
