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
from ignacio_agents.db import Database


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


class RateLimitStore:
    def __init__(self, db: Database, cipher: PhoneCipher):
        self.db = db
        self.cipher = cipher

    def _key_hash(self, limit: Limit) -> bytes:
        return self.cipher.keyed_hash(f"rate:{limit.bucket}", limit.key)

    async def hit(self, limits: list[Limit], window: timedelta) -> RateDecision:
        """Record one event under every limit, or none if any limit is already full."""
        keyed = sorted(((lim, self._key_hash(lim)) for lim in limits), key=lambda p: p[0].bucket)
        refused: RateDecision | None = None
        async with self.db.transaction() as conn:
            for lim, key_hash in keyed:
                await conn.execute(
                    "select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (lim.bucket + ":" + key_hash.hex(),),
                )
                await conn.execute(
                    "delete from rate_limit_events where bucket = %s and key_hash = %s"
                    " and created_at <= now() - %s",
                    (lim.bucket, key_hash, window),
                )
                # The max_events-th newest event: once it leaves the window there is room again.
                cur = await conn.execute(
                    "select extract(epoch from (created_at + %s - now()))::float8 as wait"
                    " from rate_limit_events where bucket = %s and key_hash = %s"
                    " order by created_at desc offset %s limit 1",
                    (window, lim.bucket, key_hash, max(lim.max_events - 1, 0)),
                )
                row = await cur.fetchone()
                if row is not None or lim.max_events <= 0:
                    wait = max(1, math.ceil(row["wait"])) if row else int(window.total_seconds())
                    if refused is None or wait > refused.retry_after:
                        refused = RateDecision(False, wait, lim.bucket)
            if refused is not None:
                return refused
            for lim, key_hash in keyed:
                await conn.execute(
                    "insert into rate_limit_events (bucket, key_hash) values (%s, %s)",
                    (lim.bucket, key_hash),
                )
        return RateDecision(True)
