"""Feedback on answers with its reason, and the WhatsApp feedback prompts' bookkeeping
(when a participant was last asked, and whether they said "no more")."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database


class Feedback(BaseModel):
    message_id: UUID
    user_id: UUID
    value: int
    tags: list[str]
    comment: str | None
    source: str
    created_at: datetime


class FeedbackStore:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, message_id: UUID, user_id: UUID, value: int, *,
                     tags: list[str] | None = None, comment: str | None = None,
                     source: str = "web", conn: Conn | None = None) -> Feedback | None:
        """Store the participant's rating of their own answer ``message_id`` (the value on the
        message too, which the reactions already use). None when the answer is not theirs."""
        async with self.db.transaction(conn) as tx:
            found = await self.db.fetch_value(
                "update messages set feedback = %s where id = %s and user_id = %s"
                " and not is_from_user returning id", value, message_id, user_id, conn=tx,
            )
            if found is None:
                return None
            return await self.db.fetch_one(
                Feedback,
                "insert into message_feedback (message_id, user_id, value, tags, comment, source)"
                " values (%s, %s, %s, %s, %s, %s) on conflict (message_id) do update set"
                " value = excluded.value, tags = excluded.tags, comment = excluded.comment,"
                " source = excluded.source, created_at = now()"
                " returning message_id, user_id, value, tags, comment, source, created_at",
                message_id, user_id, value, tags or [], comment, source, conn=tx,
            )

    async def get(self, message_id: UUID, *, conn: Conn | None = None) -> Feedback | None:
        return await self.db.fetch_one(
            Feedback, "select message_id, user_id, value, tags, comment, source, created_at"
            " from message_feedback where message_id = %s", message_id, conn=conn,
        )

    # --- WhatsApp prompts ------------------------------------------------------------------
    async def claim_prompt(self, user_id: UUID, message_id: UUID, *,
                           min_interval_seconds: float, conn: Conn | None = None) -> bool:
        """Mark a prompt about ``message_id`` as sent now unless the participant opted out or
        was asked within the interval; True when the prompt may go out (one statement: two
        answers at once cannot both claim it)."""
        return await self.db.execute(
            "insert into feedback_prompts (user_id, last_prompted_at, message_id)"
            " values (%s, now(), %s)"
            " on conflict (user_id) do update set last_prompted_at = now(),"
            " message_id = excluded.message_id"
            " where feedback_prompts.opted_out_at is null and (feedback_prompts.last_prompted_at"
            " is null or feedback_prompts.last_prompted_at"
            " <= now() - make_interval(secs => %s::float8))",
            user_id, message_id, min_interval_seconds, conn=conn,
        ) == 1

    async def prompted_message(self, user_id: UUID, *, within_seconds: float,
                               conn: Conn | None = None) -> UUID | None:
        """The answer the participant's latest prompt asked about, while it is recent."""
        value = await self.db.fetch_value(
            "select message_id from feedback_prompts where user_id = %s and message_id is not"
            " null and last_prompted_at > now() - make_interval(secs => %s::float8)",
            user_id, within_seconds, conn=conn,
        )
        return value if isinstance(value, UUID) else None

    async def opt_out(self, user_id: UUID, *, conn: Conn | None = None) -> None:
        await self.db.execute(
            "insert into feedback_prompts (user_id, opted_out_at) values (%s, now())"
            " on conflict (user_id) do update set opted_out_at = coalesce("
            " feedback_prompts.opted_out_at, now())", user_id, conn=conn,
        )

    async def opted_out(self, user_id: UUID, *, conn: Conn | None = None) -> bool:
        return bool(await self.db.fetch_value(
            "select exists (select 1 from feedback_prompts where user_id = %s"
            " and opted_out_at is not null)", user_id, conn=conn,
        ))
