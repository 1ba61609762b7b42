"""Consent notices shown: one row per participant and channel (``ignacio_agents.consent``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database

_COLUMNS = "user_id, channel, language, notice, message_id, shown_at, acknowledged_at"


class StoredConsent(BaseModel):
    user_id: UUID
    channel: str
    language: str
    notice: str
    message_id: UUID | None
    shown_at: datetime
    acknowledged_at: datetime | None


class ConsentStore:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: UUID, channel: str, *,
                  conn: Conn | None = None) -> StoredConsent | None:
        return await self.db.fetch_one(
            StoredConsent, f"select {_COLUMNS} from consents where user_id = %s and channel = %s",
            user_id, channel, conn=conn,
        )

    async def claim(self, user_id: UUID, channel: str, language: str, notice: str, *,
                    acknowledged: bool = False, conn: Conn | None = None) -> StoredConsent | None:
        """Record that the notice is shown now; None when it already was on this channel
        (the first record stands: its time and words are what the participant saw first)."""
        return await self.db.fetch_one(
            StoredConsent,
            "insert into consents (user_id, channel, language, notice, acknowledged_at)"
            " values (%s, %s, %s, %s, case when %s then now() end)"
            f" on conflict (user_id, channel) do nothing returning {_COLUMNS}",
            user_id, channel, language, notice, acknowledged, conn=conn,
        )

    async def attach_message(self, user_id: UUID, channel: str, message_id: UUID, *,
                             conn: Conn | None = None) -> None:
        await self.db.execute(
            "update consents set message_id = %s where user_id = %s and channel = %s",
            message_id, user_id, channel, conn=conn,
        )
