"""Eval cases promoted from real turns, kept until exported into ``evals/datasets/promoted``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from ignacio_agents.db import Conn, Database


class StoredEvalCase(BaseModel):
    id: UUID
    name: str
    suite: str
    message_id: UUID | None
    body: dict[str, Any]
    created_by: UUID | None
    created_at: datetime


_COLUMNS = "id, name, suite, message_id, body, created_by, created_at"


class EvalCaseStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, *, name: str, suite: str, message_id: UUID, body: dict[str, Any],
                  created_by: UUID, conn: Conn | None = None) -> StoredEvalCase:
        case = await self.db.fetch_one(
            StoredEvalCase,
            "insert into eval_cases (name, suite, message_id, body, created_by)"
            f" values (%s, %s, %s, %s, %s) returning {_COLUMNS}",
            name, suite, message_id, Jsonb(body), created_by, conn=conn,
        )
        assert case is not None
        return case

    async def all(self, *, suite: str | None = None,
                  conn: Conn | None = None) -> list[StoredEvalCase]:
        return await self.db.fetch_all(
            StoredEvalCase,
            f"select {_COLUMNS} from eval_cases where (%s::text is null or suite = %s)"
            " order by created_at, id", suite, suite, conn=conn,
        )
