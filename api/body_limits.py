"""Request body limits enforced at the ASGI edge, before any parsing, token or signature work.

Every route class has a ceiling: small for sign-in and JSON routes, Meta's 3 MB maximum plus a
margin for the WhatsApp webhook, and the upload limit (the upload routes then enforce their own,
exact limit while streaming). A declared ``Content-Length`` over the ceiling is answered 413 at
once, without reading a byte; a chunked body is counted as it arrives and answered 413 the moment
it crosses the ceiling. Either way nothing is buffered, so a few anonymous clients sending
hundreds of megabytes cannot grow the server's memory.

A body must also arrive within a time limit (generous for uploads from a slow phone): a client
trickling a byte at a time would otherwise hold a connection and a worker slot forever. It is
answered 408.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ignacio_agents.errors import TooLarge, TooSlow

KIB = 1024
MIB = 1024 * KIB

_UPLOAD_PATHS = re.compile(
    r"^/(files/upload|conversations/[^/]+/files|dev/whatsapp-simulator/chats/[^/]+/messages)/?$")


@dataclass(frozen=True)
class BodyLimits:
    """The ceiling, in bytes, for each class of route."""

    auth: int = 16 * KIB
    json: int = 1 * MIB
    webhook: int = 4 * MIB  # Meta: "payload <= 3 MB"
    upload: int = 26 * MIB
    body_seconds: float = 30.0  # the whole body of a non-upload request
    upload_seconds: float = 600.0  # 25 MB at 1 Mbit/s takes ~200 s

    def seconds_for_path(self, path: str) -> float:
        return self.upload_seconds if _UPLOAD_PATHS.match(path) else self.body_seconds

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


class BodySlow(TooSlow):
    """Raised into the app from ``receive`` once the body's time is up."""


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


async def _send_413(send: Send, limit: int) -> None:
    message = f"The request body is larger than {limit} bytes."
    await _send_error(send, 413, _error_body("payload_too_large", message))


async def _send_408(send: Send) -> None:
    await _send_error(send, 408, _error_body(TooSlow.code, TooSlow.default_message))


async def _send_error(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": status,
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
    """Pure ASGI: answers 413 for bodies over the route's ceiling without buffering them, and
    408 for a body that has not arrived by its deadline."""

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
        state = {"started": False, "refused": False, "received": 0, "complete": False}
        deadline = asyncio.get_running_loop().time() + self.limits.seconds_for_path(
            scope.get("path", ""))

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 413/408 already went out; whatever the app answers now is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        async def counting_receive() -> Message:
            if state["complete"]:  # after the body: waiting for a disconnect is not slow
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                if not state["started"]:
                    await _send_408(send)
                    state["refused"] = True
                raise BodySlow() from None
            if message["type"] == "http.request":
                state["complete"] = not message.get("more_body", False)
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
            if not _only_refused_body(exc):
                raise
            if not state["refused"] and not state["started"]:
                if _only_refused_body(exc, BodySlow):
                    await _send_408(send)
                else:
                    await _send_413(send, limit)


def _only_refused_body(exc: Exception,
                       kinds: type[Exception] | tuple[type[Exception], ...] = (BodyTooLarge, BodySlow),
                       ) -> bool:
    """True for a body this middleware refused, also inside the exception group a task-group
    middleware may wrap it in."""
    if isinstance(exc, ExceptionGroup):
        _, rest = exc.split(kinds)
        return rest is None
    return isinstance(exc, kinds)
