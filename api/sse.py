"""Web chat turns as Server-Sent Events.

The engine runs each turn in its own task; this module only frames its events. A client that
disconnects stops the framing, never the turn: the answer is stored and shows on reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from ignacio_agents.errors import Conflict

HEARTBEAT_SECONDS = 15.0


class Framer(Protocol):
    """Turns events into ``(event, data)`` frames; may hold some back until ``due``."""

    @property
    def due(self) -> float | None: ...

    def frames(self, event: Any, now: float) -> list[tuple[str, Any]]: ...

    def flush(self, now: float) -> list[tuple[str, Any]]: ...


def sse(event: str, data: Any) -> bytes:
    payload = json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def sse_stream(events: AsyncIterator[Any], framer: Framer, *,
                     heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[bytes]:
    """Frame events as SSE, with a comment heartbeat while the model is thinking (keeps
    proxies from closing an idle connection); a frame the framer holds goes out when due even
    if no other event comes. A failure becomes an ``error`` event (with the error's ``code`` when
    the turn was refused on purpose, e.g. ``conversation_paused``)."""
    loop = asyncio.get_running_loop()
    iterator = aiter(events)
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            due = framer.due
            wait = heartbeat if due is None else max(0.0, min(heartbeat, due - loop.time()))
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if not done:
                held = framer.flush(loop.time()) if due is not None else []
                for name, data in held:
                    yield sse(name, data)
                if due is None:
                    yield b": keep-alive\n\n"
                continue
            task, pending = pending, None
            try:
                event = task.result()
            except StopAsyncIteration:
                for name, data in framer.flush(loop.time()):
                    yield sse(name, data)
                return
            except Conflict as exc:  # a turn refused on purpose (a mentor has the conversation)
                yield sse("error", {"message": exc.message, "code": exc.code})
                return
            except Exception:
                yield sse("error", {"message": "The turn could not be completed."})
                return
            for name, data in framer.frames(event, loop.time()):
                yield sse(name, data)
    finally:
        if pending is not None:
            pending.cancel()
        with contextlib.suppress(Exception):
            await iterator.aclose()  # type: ignore[attr-defined]
