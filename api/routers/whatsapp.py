"""``/webhooks/whatsapp``: the HTTP face of the WhatsApp channel (``channels.whatsapp.webhook``).

Answers: 200 once a delivery is durable, 401 for a bad signature (nothing stored), 400 for a
body that is not a WhatsApp webhook, 503 when our own storage failed mid-delivery, so that Meta
delivers it again (everything already stored is then a no-op replay).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from api.deps import RuntimeDep
from api.errors import error_body
from channels.whatsapp.webhook import InvalidSignature, NotAWebhookPayload, receive, verified_challenge
from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status)


@router.get("", response_class=PlainTextResponse, summary="Meta's webhook verification")
async def verify_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Echo ``hub.challenge`` as plain text when ``hub.verify_token`` is ours; 403 otherwise."""
    challenge = verified_challenge(runtime, request.query_params)
    if challenge is None:
        return _error(403, "forbidden", "verification failed")
    return PlainTextResponse(challenge)


@router.post("", summary="WhatsApp notifications (messages and delivery statuses)")
async def receive_webhook(request: Request) -> Response:
    # The runtime straight from the app, not through the (sync) ``RuntimeDep``: a sync
    # dependency is a thread-pool round trip per request, a tenth of an acknowledgement's CPU.
    runtime: Runtime = request.app.state.runtime
    body = await request.body()
    try:
        await receive(runtime, body, request.headers)
    except InvalidSignature:
        return _error(401, "invalid_signature", "invalid or missing X-Hub-Signature-256")
    except NotAWebhookPayload as exc:
        return _error(400, "bad_request", str(exc))
    except Exception:
        log.exception("whatsapp webhook could not be stored; asking Meta to deliver it again")
        return _error(503, "unavailable", "temporarily unable to store the notification")
    return JSONResponse({"status": "ok"})
