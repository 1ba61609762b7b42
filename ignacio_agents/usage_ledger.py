"""Accounting model runs: each run of an agent (the router, the specialist, a hand-back, the
summarizer) becomes a ledger row with its tokens and price, attributed to the participant and
their cohort, and added to the running totals the caps read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic_ai.usage import RunUsage

from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.usage import LedgerLine
from ignacio_agents.usage_caps import Hold
from ignacio_agents.usage_prices import price


def ledger_line(purpose: str, model: str, usage: RunUsage | dict[str, Any] | None,
                settings: Settings) -> LedgerLine | None:
    """The ledger row of one run (``usage`` as PydanticAI's or as a stored usage dict)."""
    if usage is None:
        return None
    if isinstance(usage, dict):
        usage = RunUsage(requests=int(usage.get("requests", 0)),
                         input_tokens=int(usage.get("input_tokens", 0)),
                         output_tokens=int(usage.get("output_tokens", 0)),
                         cache_read_tokens=int(usage.get("cache_read_tokens", 0)))
    cost = price(model, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                 cache_read_tokens=usage.cache_read_tokens,
                 input_per_mtok=settings.usage_price_input_per_mtok,
                 output_per_mtok=settings.usage_price_output_per_mtok)
    return LedgerLine(purpose=purpose, model=model, requests=usage.requests,
                      input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                      cache_read_tokens=usage.cache_read_tokens, cost_usd=cost.usd,
                      price_source=cost.source)


async def account_turn(store: Store, hold: Hold, lines: list[LedgerLine | None], *,
                       message_id: UUID | None) -> None:
    """Account a turn's runs and release its hold, in one transaction."""
    await store.usage.add(user_id=hold.user_id, cohort_id=hold.cohort_id, day=hold.day,
                          lines=[line for line in lines if line], message_id=message_id,
                          hold_id=hold.id)


async def account_background(store: Store, user_id: UUID, lines: list[LedgerLine | None]) -> None:
    """Account work done outside a turn (summaries, embeddings) to the participant's cohort now."""
    cohort = await store.cohorts.current_for(user_id)
    await store.usage.add(user_id=user_id, cohort_id=cohort.id if cohort else None,
                          day=datetime.now(UTC).date(), lines=[line for line in lines if line])
