"""Sliding-window rate limits in Postgres, shared by every API process.

Keys (a phone number, a client IP) are stored only as keyed hashes. Several limits are checked
together and counted only if all of them allow the request, so a refused request never uses up
another limit; refused requests are not counted either, so ``retry_after`` is exact (a client
hammering a closed window does not push it further out). Each key is serialised with a
transaction-scoped advisory lock, so concurrent requests cannot both take the last slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Conn, Database


@dataclass(frozen=True)
class Limit:
    bucket: str  # e.g. "otp_phone", "otp_ip" (<= 32 characters)
    key: str  # the raw value; only its keyed hash is stored
    max_events: int


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds until a refused request would be allowed
    bucket: str | None = None  # the limit that refused
    remaining: int = 0  # when allowed: events left in the fullest window after this one


class RateLimitStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _key_hash(self, limit: Limit) -> bytes:
        return self.cipher.keyed_hash(f"rate:{limit.bucket}", limit.key)

    async def hit(self, limits: list[Limit], window: timedelta, *,
                  conn: Conn | None = None) -> RateDecision:
        """Record one event under every limit, or none if any limit is already full."""
        keyed = sorted(((lim, self._key_hash(lim)) for lim in limits), key=lambda p: p[0].bucket)
        refused: RateDecision | None = None
        remaining = min((lim.max_events for lim in limits), default=0)
        async with self.db.transaction(conn) as tx:
            for lim, key_hash in keyed:
                count = await self._count(lim, key_hash, window, tx)
                if count >= lim.max_events:
                    wait = await self._wait_for_room(lim, key_hash, window, tx)
                    if refused is None or wait > refused.retry_after:
                        refused = RateDecision(False, wait, lim.bucket)
                remaining = min(remaining, lim.max_events - count - 1)
            if refused is not None:
                return refused
            for lim, key_hash in keyed:
                await self.db.execute(
                    "insert into rate_limit_events (bucket, key_hash) values (%s, %s)",
                    lim.bucket, key_hash, conn=tx,
                )
        return RateDecision(True, remaining=remaining)

    async def refund(self, limits: list[Limit], *, conn: Conn | None = None) -> None:
        """Take back one event under each limit (the request turned out not to count, e.g. a
        sign-in code that was right)."""
        async with self.db.transaction(conn) as tx:
            for lim in sorted(limits, key=lambda lim: lim.bucket):
                await self.db.execute(
                    "delete from rate_limit_events where id = (select id from"
                    " rate_limit_events where bucket = %s and key_hash = %s"
                    " order by created_at desc limit 1)",
                    lim.bucket, self._key_hash(lim), conn=tx,
                )

    async def _count(self, lim: Limit, key_hash: bytes, window: timedelta, tx: Conn) -> int:
        """Lock the key, forget its events older than the window, count the rest."""
        await self.db.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                              lim.bucket + ":" + key_hash.hex(), conn=tx)
        await self.db.execute(
            "delete from rate_limit_events where bucket = %s and key_hash = %s"
            " and created_at <= now() - %s",
            lim.bucket, key_hash, window, conn=tx,
        )
        return int(await self.db.fetch_value(
            "select count(*) from rate_limit_events where bucket = %s and key_hash = %s",
            lim.bucket, key_hash, conn=tx,
        ))

    async def _wait_for_room(self, lim: Limit, key_hash: bytes, window: timedelta,
                             tx: Conn) -> int:
        """Seconds until the max_events-th newest event leaves the window (then there is room)."""
        if lim.max_events <= 0:
            return int(window.total_seconds())
        wait = await self.db.fetch_value(
            "select extract(epoch from (created_at + %s - now()))::float8 as wait"
            " from rate_limit_events where bucket = %s and key_hash = %s"
            " order by created_at desc offset %s limit 1",
            window, lim.bucket, key_hash, lim.max_events - 1, conn=tx,
        )
        return max(1, math.ceil(wait)) if wait is not None else 1
