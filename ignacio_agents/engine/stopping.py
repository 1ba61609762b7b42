"""A participant's Stop: the model run ends at once, and the turn goes on to store what the
model had written (``TurnStopped`` carries it to the orchestrator)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from ignacio_agents.errors import IgnacioError

T = TypeVar("T")


class TurnStopped(IgnacioError):
    """The participant stopped the answer; ``answer`` is what had been written (or None while
    the run is being cancelled). Control flow inside the engine: it never reaches a client."""

    code = "turn_stopped"

    def __init__(self, answer: Any = None):
        super().__init__("stopped by the participant")
        self.answer = answer


async def unless_stopped(run: Coroutine[Any, Any, T], stop: asyncio.Event | None) -> T:
    """Await ``run``, unless ``stop`` is set first: then the run is cancelled (and awaited, so
    nothing it opened stays open) and ``TurnStopped`` raised."""
    if stop is None:
        return await run
    if stop.is_set():
        run.close()
        raise TurnStopped
    task = asyncio.ensure_future(run)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task.cancelled():
        raise TurnStopped
    return task.result()
