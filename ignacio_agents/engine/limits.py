"""Bounded waits for a turn: one deadline across the router and every attempt, and a circuit
that stops making participants wait on a provider that keeps failing.

Without them a hanging model held a participant for ``model_timeout × attempts`` (three minutes
with the defaults) before the apology, and during an outage every participant paid that wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ignacio_agents.errors import Unavailable

# The router gets at most this share of what is left of the turn: the answer matters more.
ROUTER_SHARE = 1 / 3


class ModelCircuitOpen(Unavailable):
    """The provider failed repeatedly just now: answer with the fallback without calling it."""

    code = "model_circuit_open"


@dataclass
class TurnDeadline:
    """What is left of a turn's total time."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def cap(self, timeout: float, share: float = 1.0) -> float:
        """``timeout`` cut to the share of the remaining time a step may use."""
        return min(timeout, self.remaining() * share)


class ModelCircuit:
    """Consecutive provider failures open the circuit for ``cooldown`` seconds; then one call
    is let through (half open): a success closes it, a failure opens it again."""

    def __init__(self, failures: int, cooldown: float,
                 clock: Callable[[], float] = time.monotonic):
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        if self.clock() - self.opened_at >= self.cooldown:
            self.opened_at = None  # half open: this call decides
            self.failures = self.threshold - 1
            return True
        return False

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock()
