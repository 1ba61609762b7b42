"""Web chat turns as Server-Sent Events.

The engine runs each turn in its own task; this module only frames its events. A client that
disconnects stops the framing, never the turn: the answer is stored and shows on reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

HEARTBEAT_SECONDS = 15.0


def sse(event: str, data: Any) -> bytes:
    payload = json.dumps(data, default=str, ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def sse_stream(events: AsyncIterator[Any], shape: Callable[[Any], tuple[str, Any]],
                     *, heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[bytes]:
    """Frame engine events as SSE, with a comment heartbeat while the model is thinking (keeps
    proxies from closing an idle connection). A failure becomes an ``error`` event."""
    iterator = aiter(events)
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if not done:
                yield b": keep-alive\n\n"
                continue
            task, pending = pending, None
            try:
                event = task.result()
            except StopAsyncIteration:
                return
            except Exception:
                yield sse("error", {"message": "The turn could not be completed."})
                return
            name, data = shape(event)
            yield sse(name, data)
    finally:
        if pending is not None:
            pending.cancel()
        with contextlib.suppress(Exception):
            await iterator.aclose()  # type: ignore[attr-defined]
