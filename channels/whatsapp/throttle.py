"""At most one not-enrolled reply per number per window, decided atomically in Postgres.

Meta delivers webhooks concurrently and replays them, so "have we answered this stranger
lately?" must be a single serialised check-and-record, not a read followed by a write. The key
is a keyed hash of the number (``PhoneCipher.keyed_hash``): the table never holds a number.
"""

from __future__ import annotations

from datetime import timedelta

from ignacio_agents.db import Database

NOT_ENROLLED_BUCKET = "wa_not_enrolled"
NOT_ENROLLED_WINDOW = timedelta(hours=24)


async def allow_once(db: Database, bucket: str, key_hash: bytes, window: timedelta) -> bool:
    """True (and recorded) if no event for ``key_hash`` exists in ``bucket`` within ``window``."""
    async with db.transaction() as conn:
        await conn.execute(
            "select pg_advisory_xact_lock(hashtextextended(%s || encode(%s::bytea, 'hex'), 0))",
            (bucket, key_hash),
        )
        cur = await conn.execute(
            "select exists (select 1 from rate_limit_events where bucket = %s and key_hash = %s"
            " and created_at > now() - %s) as seen",
            (bucket, key_hash, window),
        )
        row = await cur.fetchone()
        if row is not None and row["seen"]:
            return False
        await conn.execute(
            "delete from rate_limit_events where bucket = %s and key_hash = %s"
            " and created_at <= now() - %s",
            (bucket, key_hash, window),
        )
        await conn.execute(
            "insert into rate_limit_events (bucket, key_hash) values (%s, %s)", (bucket, key_hash)
        )
    return True
