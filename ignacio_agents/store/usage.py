"""The usage ledger, its running totals, the holds of turns in flight, cap lifts and notices.

``add`` writes ledger rows and bumps the running totals (the participant's, their cohort's and
everyone's, for the day and the month) in one transaction, releasing the turn's hold with them,
so a cap check never sees a turn's tokens twice or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database


@dataclass(frozen=True)
class LedgerLine:
    """One model run to account."""

    purpose: str  # triage | answer | summary | embedding
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cost_usd: Decimal
    price_source: str

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class UsageRow(BaseModel):
    """A report row: one group (a cohort, a participant, a day) and what it spent."""

    key: str | None
    label: str | None = None
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


def period_starts(day: date) -> dict[str, date]:
    return {"day": day, "month": day.replace(day=1)}


# ``UsageStore.add``: one statement (its data-modifying parts all run, in one transaction).
_ADD = (
    "with released as (delete from usage_holds where id = %s),"
    " ledger as (insert into usage_ledger (user_id, cohort_id, message_id, purpose, model,"
    " requests, input_tokens, output_tokens, cache_read_tokens, cost_usd, price_source)"
    " select %s::uuid, %s::uuid, %s::uuid, l.* from unnest(%s::text[], %s::text[],"
    " %s::int[], %s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::text[]) as l)"
    " insert into usage_totals (user_id, cohort_id, period, period_start, tokens)"
    " select t.*, %s::bigint from unnest(%s::uuid[], %s::uuid[], %s::text[], %s::date[]) as t"
    " on conflict (user_id, cohort_id, period, period_start)"
    " do update set tokens = usage_totals.tokens + excluded.tokens"
)


class UsageStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, *, user_id: UUID | None, cohort_id: UUID | None, day: date,
                  lines: list[LedgerLine], message_id: UUID | None = None,
                  hold_id: UUID | None = None, conn: Conn | None = None) -> None:
        """Account ``lines`` (and release ``hold_id``) in one statement, so in one
        transaction: the hold's release, the ledger rows and the running totals of every
        scope (everyone, the cohort, the participant) for the day and the month."""
        lines = [line for line in lines if line.requests or line.tokens]
        tokens = sum(line.tokens for line in lines)
        scopes = [(None, None), (None, cohort_id) if cohort_id else None,
                  (user_id, None) if user_id else None]
        totals = [(u, c, period, start) for scope in scopes if scope and lines
                  for u, c in [scope] for period, start in period_starts(day).items()]
        await self.db.execute(
            _ADD, hold_id, user_id, cohort_id, message_id,
            [line.purpose for line in lines], [line.model[:200] for line in lines],
            [line.requests for line in lines], [line.input_tokens for line in lines],
            [line.output_tokens for line in lines], [line.cache_read_tokens for line in lines],
            [line.cost_usd for line in lines], [line.price_source for line in lines], tokens,
            [t[0] for t in totals], [t[1] for t in totals], [t[2] for t in totals],
            [t[3] for t in totals], conn=conn,
        )

    async def totals(self, *, user_id: UUID | None, cohort_id: UUID | None, day: date,
                     conn: Conn | None = None) -> dict[str, int]:
        """Tokens spent in the day and the month of ``day`` by one scope (both ids null: everyone)."""
        starts = period_starts(day)
        rows = await self.db.fetch_all(
            dict,
            "select period, tokens from usage_totals where user_id is not distinct from %s"
            " and cohort_id is not distinct from %s and ((period = 'day' and period_start = %s)"
            " or (period = 'month' and period_start = %s))",
            user_id, cohort_id, starts["day"], starts["month"], conn=conn,
        )
        found = {r["period"]: int(r["tokens"]) for r in rows}
        return {"day": found.get("day", 0), "month": found.get("month", 0)}

    async def held(self, *, user_id: UUID | None, cohort_id: UUID | None, now: datetime,
                   conn: Conn | None = None) -> int:
        """Tokens reserved by turns in flight for one scope (both null: everyone)."""
        where = ["expires_at > %s"]
        params: list[Any] = [now]
        if user_id is not None:
            where.append("user_id = %s")
            params.append(user_id)
        if cohort_id is not None:
            where.append("cohort_id = %s")
            params.append(cohort_id)
        value = await self.db.fetch_value(
            f"select coalesce(sum(tokens), 0) from usage_holds where {' and '.join(where)}",
            *params, conn=conn,
        )
        return int(value)

    async def hold(self, *, user_id: UUID, cohort_id: UUID | None, tokens: int,
                   expires_at: datetime, conn: Conn | None = None) -> UUID:
        hold_id: UUID = await self.db.fetch_value(
            "insert into usage_holds (user_id, cohort_id, tokens, expires_at)"
            " values (%s, %s, %s, %s) returning id", user_id, cohort_id, tokens, expires_at,
            conn=conn,
        )
        return hold_id

    async def release(self, hold_id: UUID, *, conn: Conn | None = None) -> None:
        await self.db.execute("delete from usage_holds where id = %s", hold_id, conn=conn)

    async def lifted_until(self, user_id: UUID, *, conn: Conn | None = None) -> datetime | None:
        until: datetime | None = await self.db.fetch_value(
            "select lifted_until from usage_cap_lifts where user_id = %s", user_id, conn=conn)
        return until

    async def lift(self, user_id: UUID, until: datetime, *, by: UUID | None,
                   conn: Conn | None = None) -> None:
        await self.db.execute(
            "insert into usage_cap_lifts (user_id, lifted_until, lifted_by) values (%s, %s, %s)"
            " on conflict (user_id) do update set lifted_until = excluded.lifted_until,"
            " lifted_by = excluded.lifted_by, created_at = now()", user_id, until, by, conn=conn,
        )

    async def unlift(self, user_id: UUID, *, conn: Conn | None = None) -> bool:
        return await self.db.execute("delete from usage_cap_lifts where user_id = %s", user_id,
                                     conn=conn) == 1

    async def first_notice(self, user_id: UUID, channel: str, day: date, *,
                           conn: Conn | None = None) -> bool:
        """True the first time this is asked for (user, channel, day): tell them then only."""
        return await self.db.execute(
            "insert into usage_cap_notices (user_id, channel, day) values (%s, %s, %s)"
            " on conflict do nothing", user_id, channel, day, conn=conn,
        ) == 1

    async def report(self, group: str, *, date_from: datetime | None = None,
                     date_to: datetime | None = None, cohort_id: UUID | None = None,
                     conn: Conn | None = None) -> list[UsageRow]:
        """Ledger sums by ``group``: "cohort", "participant" or "day" (UTC), biggest spend first
        (days in order)."""
        key, label, join = {
            "cohort": ("l.cohort_id::text", "c.name", "left join cohorts c on c.id = l.cohort_id"),
            "participant": ("l.user_id::text", "u.name", "left join users u on u.id = l.user_id"),
            "day": ("to_char(l.created_at at time zone 'UTC', 'YYYY-MM-DD')", "null", ""),
        }[group]
        where, params = ["true"], []
        for clause, value in (("l.created_at >= %s", date_from), ("l.created_at < %s", date_to),
                              ("l.cohort_id = %s", cohort_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        order = "key" if group == "day" else "cost_usd desc, key"
        return await self.db.fetch_all(
            UsageRow,
            f"select {key} as key, min({label}::text) as label, sum(l.requests)::int as requests,"
            " sum(l.input_tokens)::bigint as input_tokens,"
            " sum(l.output_tokens)::bigint as output_tokens, sum(l.cost_usd) as cost_usd"
            f" from usage_ledger l {join} where {' and '.join(where)}"
            f" group by {key} order by {order} limit 1000",
            *params, conn=conn,
        )
