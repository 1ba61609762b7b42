"""``/webhooks/whatsapp``: Meta's verification handshake and its signed notifications.

The POST does the least that makes a delivery durable, then answers 200: check the signature
over the raw bytes, parse, store each inbound message once and queue its answer
(``channels.whatsapp.inbound``). No model work and no Graph calls happen in the request, so
the acknowledgement stays in the low milliseconds (``bench/webhook_latency.py``).

Answers: 401 for a bad signature (nothing stored), 400 for a body that is not a WhatsApp
webhook, 503 when our own storage failed mid-delivery, so that Meta delivers it again
(everything already stored is then a no-op replay).
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from channels.whatsapp.inbound import InboundHandler
from channels.whatsapp.payload import NotAWebhookPayload, WebhookItem, parse_webhook_items
from channels.whatsapp.signature import SIGNATURE_HEADER, verify_signature
from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])

# Bodies above this are parsed in a thread (Meta batches up to 1000 updates, 3 MB); a typical
# single-message body parses in tens of microseconds, less than a thread hop costs.
_THREAD_PARSE_BYTES = 64 * 1024


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


@router.get("", response_class=PlainTextResponse, summary="Meta's webhook verification")
async def verify_webhook(request: Request) -> Response:
    """Echo ``hub.challenge`` as plain text when ``hub.verify_token`` is ours; 403 otherwise."""
    params = request.query_params
    expected = _runtime(request).settings.whatsapp_verify_token
    token = params.get("hub.verify_token") or ""
    if (
        params.get("hub.mode") == "subscribe"
        and expected is not None
        and token
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return PlainTextResponse(params.get("hub.challenge") or "")
    return _error(403, "forbidden", "verification failed")


@router.post("", summary="WhatsApp notifications (messages and delivery statuses)")
async def receive_webhook(request: Request) -> Response:
    runtime = _runtime(request)
    body = await request.body()
    secret = runtime.settings.whatsapp_app_secret
    if secret is None or not verify_signature(
        secret.get_secret_value(), body, request.headers.get(SIGNATURE_HEADER)
    ):
        log.warning("whatsapp webhook with a missing or invalid signature refused")
        return _error(401, "invalid_signature", "invalid or missing X-Hub-Signature-256")
    try:
        items: list[WebhookItem]
        if len(body) > _THREAD_PARSE_BYTES:
            items = await asyncio.to_thread(parse_webhook_items, body)
        else:
            items = parse_webhook_items(body)
    except NotAWebhookPayload as exc:
        return _error(400, "bad_request", str(exc))
    try:
        outcome = await InboundHandler(runtime).handle(items)
    except Exception:
        log.exception("whatsapp webhook could not be stored; asking Meta to deliver it again")
        return _error(503, "unavailable", "temporarily unable to store the notification")
    log.debug("whatsapp webhook handled: %s", outcome)
    return JSONResponse({"status": "ok"})
