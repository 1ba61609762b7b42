"""The audit log: one append-only row per admin action. There is no update or delete here
(and a trigger refuses them in the database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.store.base import Keyset, Page, fetch_page


class StoredAuditEntry(BaseModel):
    id: int
    seq: int
    actor_id: UUID | None
    actor_name: str | None = None
    action: str
    target_type: str | None
    target_id: str | None
    # What the target is called today: a user's name, a conversation's title (and whose it
    # is), a cohort's name, a file's name; None once it is gone (the row keeps the id).
    target_name: str | None = None
    target_user_name: str | None = None
    client_ip: str | None
    details: dict[str, Any]
    created_at: datetime
    row_hash: bytes


# Targets are stored as text (the trail outlives what it names, so no foreign keys); an id
# that is a UUID is looked up in the table its type names, by primary key.
_SELECT = """
select a.id, a.seq, a.actor_id, u.name as actor_name, a.action, a.target_type, a.target_id,
       coalesce(tu.name, tc.title, tco.name, tf.file_name) as target_name,
       coalesce(tcu.name, tfu.name) as target_user_name,
       a.client_ip, a.details, a.created_at, a.row_hash
from audit_log a
left join users u on u.id = a.actor_id
left join lateral (select case when a.target_id ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                          then a.target_id::uuid end as id) t on true
left join users tu on a.target_type = 'user' and tu.id = t.id
left join conversations tc on a.target_type = 'conversation' and tc.id = t.id
left join users tcu on tcu.id = tc.user_id
left join cohorts tco on a.target_type = 'cohort' and tco.id = t.id
left join user_files tf on a.target_type = 'file' and tf.id = t.id
left join users tfu on tfu.id = tf.user_id
"""

EXPORT_BATCH = 1000
Batch = list[StoredAuditEntry]  # (``AuditStore.list`` shadows the builtin in the class)


def day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None,
                                                                      datetime | None]:
    """Inclusive calendar days (UTC) as a half-open time range: [from 00:00, day after to)."""
    start = datetime.combine(date_from, time.min, UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    return start, end


def _filters(actor_id: UUID | None, action: str | None, target_id: str | None,
             date_from: date | None, date_to: date | None) -> tuple[list[str], list[Any]]:
    where: list[str] = ["true"]
    params: list[Any] = []
    if actor_id:
        where.append("a.actor_id = %s")
        params.append(actor_id)
    if action:
        where.append("a.action = %s")
        params.append(action)
    if target_id:
        where.append("a.target_id = %s")
        params.append(target_id)
    start, end = day_range(date_from, date_to)
    if start:
        where.append("a.created_at >= %s")
        params.append(start)
    if end:
        where.append("a.created_at < %s")
        params.append(end)
    return where, params


class AuditStore:
    def __init__(self, db: Database):
        self.db = db

    async def record(
        self, *, actor_id: UUID | None, action: str, target_type: str | None = None,
        target_id: str | UUID | None = None, client_ip: str | None = None,
        details: dict[str, Any] | None = None, conn: Conn | None = None,
    ) -> None:
        """Append one row; on the caller's connection, it commits with the action it records."""
        await self.db.execute(
            "insert into audit_log (actor_id, action, target_type, target_id, client_ip, details)"
            " values (%s, %s, %s, %s, %s, %s)",
            actor_id, action, target_type, str(target_id) if target_id else None, client_ip,
            Jsonb(details or {}), conn=conn,
        )

    async def list(
        self, *, actor_id: UUID | None = None, action: str | None = None,
        target_id: str | None = None, date_from: date | None = None, date_to: date | None = None,
        limit: int | None = None, cursor: str | None = None, conn: Conn | None = None,
    ) -> Page[StoredAuditEntry]:
        """Newest first; ``date_from`` / ``date_to`` are inclusive calendar days in UTC."""
        where, params = _filters(actor_id, action, target_id, date_from, date_to)
        return await fetch_page(
            self.db, _SELECT, where, params, Keyset("a.created_at", "a.id", "bigint"),
            limit=limit, cursor=cursor, build=StoredAuditEntry.model_validate, conn=conn,
        )

    async def export(
        self, *, actor_id: UUID | None = None, action: str | None = None,
        date_from: date | None = None, date_to: date | None = None,
        batch: int = EXPORT_BATCH,
    ) -> AsyncIterator[Batch]:
        """Every matching row in chain order (oldest first), a batch per query, so an export
        of any size holds one batch in memory and no connection between batches."""
        where, params = _filters(actor_id, action, None, date_from, date_to)
        last = 0
        while True:
            rows = await self.db.fetch_all(
                StoredAuditEntry.model_validate,
                f"{_SELECT} where {' and '.join(where)} and a.seq > %s order by a.seq limit %s",
                *params, last, batch,
            )
            if rows:
                yield rows
            if len(rows) < batch:
                return
            last = rows[-1].seq
