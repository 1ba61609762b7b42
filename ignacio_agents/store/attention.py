"""The attention queue: what needs a human, one row per (kind, message).

Most rows are written by the database itself (a trigger on ``messages``: fallback answers,
thumbs-down, failed deliveries, the same question a third time), so every writer feeds the queue
without knowing about it; the engine adds mentor requests and out-of-scope questions. A row is
open until resolved; a claimed row shows who took it; a snoozed row is hidden until its time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.store.base import Keyset, Page, fetch_page
from ignacio_agents.store.mentoring import MENTEES


class AttentionKind(StrEnum):
    mentor_request = "mentor_request"
    thumbs_down = "thumbs_down"
    fallback = "fallback"
    delivery_failed = "delivery_failed"
    repeated_question = "repeated_question"
    out_of_scope = "out_of_scope"


class AttentionItem(BaseModel):
    id: UUID
    kind: AttentionKind
    conversation_id: UUID
    message_id: UUID
    user_id: UUID
    user_name: str | None
    created_at: datetime
    excerpt: str | None  # the message's opening words
    claimed_by: UUID | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    snoozed_until: datetime | None
    resolved_at: datetime | None
    note: str | None
    # thumbs-down: the participant's reason
    feedback_tags: list[str] | None = None
    feedback_comment: str | None = None


_SELECT = (
    "select i.id, i.kind, i.conversation_id, i.message_id, i.user_id, u.name as user_name,"
    " i.created_at, left(m.content, 200) as excerpt, i.claimed_by, c.name as claimed_by_name,"
    " i.claimed_at, i.snoozed_until, i.resolved_at, i.note, f.tags as feedback_tags,"
    " f.comment as feedback_comment"
    " from attention_items i join users u on u.id = i.user_id"
    " join messages m on m.id = i.message_id"
    " left join users c on c.id = i.claimed_by"
    " left join message_feedback f on f.message_id = i.message_id"
)
# What a mentor may see: items about the participants they follow.
_MENTOR_SCOPE = f"i.user_id in {MENTEES}"


class AttentionStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, kind: AttentionKind, *, conversation_id: UUID, message_id: UUID,
                  user_id: UUID, conn: Conn | None = None) -> bool:
        """Queue an item; False when that message already has an item of that kind."""
        return await self.db.execute(
            "insert into attention_items (kind, conversation_id, message_id, user_id)"
            " values (%s, %s, %s, %s) on conflict do nothing",
            kind.value, conversation_id, message_id, user_id, conn=conn,
        ) == 1

    def _scope(self, mentor_id: UUID | None) -> tuple[list[str], list[Any]]:
        return ([_MENTOR_SCOPE], [mentor_id, mentor_id]) if mentor_id else ([], [])

    async def open(self, *, mentor_id: UUID | None = None, kind: AttentionKind | None = None,
                   include_snoozed: bool = False, limit: int | None = None,
                   cursor: str | None = None, conn: Conn | None = None) -> Page[AttentionItem]:
        """Open items, newest first; ``mentor_id`` limits them to that mentor's participants."""
        where, params = self._scope(mentor_id)
        where.append("i.resolved_at is null")
        if not include_snoozed:
            where.append("(i.snoozed_until is null or i.snoozed_until <= now())")
        if kind is not None:
            where.append("i.kind = %s")
            params.append(kind.value)
        return await fetch_page(self.db, _SELECT, where, params, Keyset("i.created_at", "i.id"),
                                limit=limit, cursor=cursor, build=AttentionItem.model_validate,
                                conn=conn)

    async def counts(self, *, mentor_id: UUID | None = None,
                     conn: Conn | None = None) -> dict[str, int]:
        """Open, unsnoozed items per kind (the navigation's badge)."""
        where, params = self._scope(mentor_id)
        where += ["i.resolved_at is null", "(i.snoozed_until is null or i.snoozed_until <= now())"]
        rows = await self.db.fetch_all(
            dict, f"select i.kind, count(*) as n from attention_items i where {' and '.join(where)}"
            " group by i.kind", *params, conn=conn,
        )
        return {r["kind"]: r["n"] for r in rows}

    async def get(self, item_id: UUID, *, mentor_id: UUID | None = None,
                  conn: Conn | None = None) -> AttentionItem | None:
        where, params = self._scope(mentor_id)
        where.append("i.id = %s")
        return await self.db.fetch_one(
            AttentionItem, f"{_SELECT} where {' and '.join(where)}", *params, item_id, conn=conn,
        )

    async def claim(self, item_id: UUID, by: UUID, *, conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "update attention_items set claimed_by = %s, claimed_at = now()"
            " where id = %s and resolved_at is null", by, item_id, conn=conn,
        ) == 1

    async def snooze(self, item_id: UUID, until: datetime, *, conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "update attention_items set snoozed_until = %s where id = %s and resolved_at is null",
            until, item_id, conn=conn,
        ) == 1

    async def resolve(self, item_id: UUID, by: UUID, note: str | None, *,
                      conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "update attention_items set resolved_by = %s, resolved_at = now(), note = %s"
            " where id = %s and resolved_at is null", by, note, item_id, conn=conn,
        ) == 1

    async def resolve_open(self, conversation_id: UUID, kind: AttentionKind, by: UUID, note: str,
                           *, conn: Conn | None = None) -> int:
        """Resolve every open item of ``kind`` in a conversation (a mentor answered it)."""
        return await self.db.execute(
            "update attention_items set resolved_by = %s, resolved_at = now(), note = %s"
            " where conversation_id = %s and kind = %s and resolved_at is null",
            by, note, conversation_id, kind.value, conn=conn,
        )
