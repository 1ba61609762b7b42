"""How hard one process leans on each model provider: a cap on requests in flight and, when the
provider says "too many requests" (429), a pause that every turn respects.

Turns are I/O-bound (they wait on the model), so a worker runs many at once; what must stay
bounded is what the provider sees. One :class:`ProviderGate` per provider is shared by every
model of that provider in the process (the router's and the specialists'). A 429 does not fail
the turn: the request waits out the provider's ``Retry-After`` (or a back-off that doubles up to
``max_backoff``) and tries again, and every other request to that provider waits too instead of
adding to the pile. A success resets the back-off. The turn's own deadline still bounds it all
(``engine.limits.TurnDeadline``): a provider that never recovers ends in the polite fallback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, ModelRateLimitError
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

log = logging.getLogger(__name__)


def _is_rate_limited(exc: BaseException) -> bool:
    if isinstance(exc, ModelRateLimitError):
        return True
    return isinstance(exc, ModelHTTPError) and exc.status_code == 429


@dataclass
class ProviderGate:
    """Requests in flight to one provider, and its shared pause after a 429."""

    name: str
    max_concurrent: int
    min_backoff: float = 1.0
    max_backoff: float = 30.0
    max_throttled_attempts: int = 6
    clock: Callable[[], float] = time.monotonic
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _resume_at: float = field(default=0.0, init=False)
    _backoff: float = field(default=0.0, init=False)
    throttled: int = field(default=0, init=False)  # 429s seen (reported by the bench)

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on first use, inside the loop that uses it
            self._slots = asyncio.Semaphore(max(1, self.max_concurrent))
        return self._slots

    async def wait_turn(self) -> None:
        """Sleep while the provider asked everyone to pause."""
        delay = self._resume_at - self.clock()
        while delay > 0:  # a 429 meanwhile may have moved the resume time later
            await asyncio.sleep(delay)
            delay = self._resume_at - self.clock()

    def slow_down(self, retry_after: float | None) -> float:
        """A 429: pause every request to this provider; the pause chosen."""
        self.throttled += 1
        self._backoff = min(self.max_backoff, max(self.min_backoff, self._backoff * 2))
        delay = min(self.max_backoff, retry_after) if retry_after else self._backoff
        self._resume_at = max(self._resume_at, self.clock() + delay)
        log.warning("model provider %s is rate limiting: pausing its requests for %.1f s",
                    self.name, delay)
        return delay

    def succeeded(self) -> None:
        self._backoff = 0.0

    async def call(self, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` (a coroutine factory) within the cap, waiting out 429s."""
        for tries in range(1, self.max_throttled_attempts + 1):
            await self.wait_turn()
            async with self.slots:
                try:
                    result = await attempt()
                except ModelAPIError as exc:
                    if not _is_rate_limited(exc) or tries == self.max_throttled_attempts:
                        raise
                    self.slow_down(exc.retry_after)
                    continue
            self.succeeded()
            return result
        raise AssertionError("unreachable")  # pragma: no cover


class GatedModel(WrapperModel):
    """A model whose requests pass through its provider's :class:`ProviderGate`."""

    def __init__(self, wrapped: Model, gate: ProviderGate):
        super().__init__(wrapped)
        self.gate = gate

    async def request(self, messages: list[ModelMessage], model_settings: ModelSettings | None,
                      model_request_parameters: ModelRequestParameters) -> ModelResponse:
        response: ModelResponse = await self.gate.call(
            lambda: self.wrapped.request(messages, model_settings, model_request_parameters))
        return response

    @asynccontextmanager
    async def request_stream(
        self, messages: list[ModelMessage], model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters, run_context: Any = None,
    ) -> AsyncGenerator[StreamedResponse]:
        """A 429 arrives before the stream opens: that part is retried; an open stream holds
        its slot until it is read to the end."""
        gate = self.gate
        for tries in range(1, gate.max_throttled_attempts + 1):
            await gate.wait_turn()
            async with gate.slots:
                opened = AsyncExitStack()
                try:
                    stream = await opened.enter_async_context(self.wrapped.request_stream(
                        messages, model_settings, model_request_parameters, run_context))
                except ModelAPIError as exc:
                    await opened.aclose()
                    if not _is_rate_limited(exc) or tries == gate.max_throttled_attempts:
                        raise
                    gate.slow_down(exc.retry_after)
                    continue
                async with opened:
                    gate.succeeded()
                    yield stream
                return


class ProviderGates:
    """One gate per provider (``Model.system``: ``openai``, ``anthropic`` ...) in a process."""

    def __init__(self, max_concurrent: int, **options: Any):
        self.max_concurrent = max_concurrent
        self.options = options
        self.gates: dict[str, ProviderGate] = {}

    def gate(self, provider: str) -> ProviderGate:
        if provider not in self.gates:
            self.gates[provider] = ProviderGate(provider, self.max_concurrent, **self.options)
        return self.gates[provider]

    def wrap(self, model: Model) -> Model:
        if isinstance(model, GatedModel):
            return model
        return GatedModel(model, self.gate(model.system))
