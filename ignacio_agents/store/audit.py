"""The audit log: one append-only row per admin action. There is no update or delete here
(and a trigger refuses them in the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.store.base import Keyset, Page, fetch_page


class StoredAuditEntry(BaseModel):
    id: int
    actor_id: UUID | None
    actor_name: str | None = None
    action: str
    target_type: str | None
    target_id: str | None
    client_ip: str | None
    details: dict[str, Any]
    created_at: datetime


_SELECT = (
    "select a.id, a.actor_id, u.name as actor_name, a.action, a.target_type, a.target_id,"
    " a.client_ip, a.details, a.created_at from audit_log a left join users u on u.id = a.actor_id"
)


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
        target_id: str | None = None, limit: int | None = None, cursor: str | None = None,
        conn: Conn | None = None,
    ) -> Page[StoredAuditEntry]:
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
        return await fetch_page(
            self.db, _SELECT, where, params, Keyset("a.created_at", "a.id", "bigint"),
            limit=limit, cursor=cursor, build=StoredAuditEntry.model_validate, conn=conn,
        )
