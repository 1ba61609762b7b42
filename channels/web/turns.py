"""Web chat turns: Server-Sent Events for a turn that outlives its request.

The turn runs in its own task and publishes events to a queue; the HTTP response only forwards
them. A client that disconnects stops the forwarding, never the turn: the answer is stored and
shows on reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from ignacio_agents.domain import InboundMessage

log = logging.getLogger(__name__)

_END = object()


class TurnRunner:
    """Keeps running turns alive (strong references) until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, engine: Any, inbound: InboundMessage) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def run() -> None:
            try:
                async for event in engine.stream_turn(inbound):
                    queue.put_nowait(event)
            except Exception:  # the engine answers failures itself; this is a last resort
                log.exception("web turn failed")
                queue.put_nowait({"type": "error", "message": "The turn failed."})
            finally:
                queue.put_nowait(_END)

        task = asyncio.create_task(run(), name=f"web-turn-{inbound.conversation_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return queue

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for running turns (shutdown, tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def sse(event: str, data: Any) -> bytes:
    payload = json.dumps(data, default=str, ensure_ascii=False)
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def sse_stream(queue: asyncio.Queue[Any],
                     shape: Callable[[Any], tuple[str, Any]]) -> AsyncIterator[bytes]:
    """Forward queued engine events as SSE frames, with a comment heartbeat while idle."""
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), timeout=15)
        except TimeoutError:
            yield b": keep-alive\n\n"
            continue
        if event is _END:
            return
        name, data = shape(event)
        yield sse(name, data)
