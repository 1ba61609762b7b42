"""Request body limits enforced at the ASGI edge, before any parsing, token or signature work.

Every route class has a ceiling: small for sign-in and JSON routes, Meta's 3 MB maximum plus a
margin for the WhatsApp webhook, and the upload limit (the upload routes then enforce their own,
exact limit while streaming). A declared ``Content-Length`` over the ceiling is answered 413 at
once, without reading a byte; a chunked body is counted as it arrives and answered 413 the moment
it crosses the ceiling. Either way nothing is buffered, so a few anonymous clients sending
hundreds of megabytes cannot grow the server's memory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ignacio_agents.errors import TooLarge

KIB = 1024
MIB = 1024 * KIB

_UPLOAD_PATHS = re.compile(r"^/(files/upload|conversations/[^/]+/files)/?$")


@dataclass(frozen=True)
class BodyLimits:
    """The ceiling, in bytes, for each class of route."""

    auth: int = 16 * KIB
    json: int = 1 * MIB
    webhook: int = 4 * MIB  # Meta: "payload <= 3 MB"
    upload: int = 26 * MIB

    def for_path(self, path: str) -> int:
        if path.startswith("/auth/"):
            return self.auth
        if path.startswith("/webhooks/"):
            return self.webhook
        if _UPLOAD_PATHS.match(path):
            return self.upload
        return self.json


class BodyTooLarge(TooLarge):
    """Raised into the app from ``receive`` once the body crosses its ceiling."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit


def _too_large_body(limit: int) -> bytes:
    message = f"The request body is larger than {limit} bytes."
    return json.dumps({"error": {"code": "payload_too_large", "message": message}}).encode()


async def _send_413(send: Send, limit: int) -> None:
    body = _too_large_body(limit)
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The unread rest of the body makes the connection unusable.
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Pure ASGI: answers 413 for bodies over the route's ceiling without buffering them."""

    def __init__(self, app: ASGIApp, limits: BodyLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _send_413(send, limit)
            return
        state = {"started": False, "refused": False, "received": 0}

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 413 already went out; whatever the app answers now is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    if not state["started"]:
                        await _send_413(send, limit)
                        state["refused"] = True
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception as exc:
            if not _only_body_too_large(exc):
                raise
            if not state["refused"] and not state["started"]:
                await _send_413(send, limit)


def _only_body_too_large(exc: Exception) -> bool:
    """True for ``BodyTooLarge``, also inside the exception group a task-group middleware
    may wrap it in."""
    if isinstance(exc, ExceptionGroup):
        _, rest = exc.split(BodyTooLarge)
        return rest is None
    return isinstance(exc, BodyTooLarge)
