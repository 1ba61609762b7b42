"""Sign-in sessions: one row per device, holding only hashes of its refresh tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.crypto import token_hash
from ignacio_agents.db import Conn, Database


class Session(BaseModel):
    id: UUID
    user_id: UUID
    expires_at: datetime
    created_at: datetime
    last_used_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    device: str | None = None  # "Chrome on Android": a coarse label, never the User-Agent


class RotationResult(BaseModel):
    session: Session | None
    reused: bool = False  # an already-rotated token was presented: the session is now revoked
    concurrent: bool = False  # the just-rotated token again, within the grace: nothing changed


_COLUMNS = ("id, user_id, expires_at, created_at, last_used_at, revoked_at, revoked_reason,"
            " device")


class SessionStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, user_id: UUID, refresh_token: str, ttl: timedelta, *,
                     device: str | None = None, conn: Conn | None = None) -> Session:
        created = await self.db.fetch_one(
            Session,
            "insert into user_sessions (user_id, session_token, expires_at, device)"
            f" values (%s, %s, now() + %s, %s) returning {_COLUMNS}",
            user_id, token_hash(refresh_token), ttl, device, conn=conn,
        )
        assert created is not None
        return created

    async def get_active(self, session_id: UUID, *, conn: Conn | None = None) -> Session | None:
        return await self.db.fetch_one(
            Session,
            f"select {_COLUMNS} from user_sessions where id = %s and revoked_at is null"
            " and expires_at > now()",
            session_id, conn=conn,
        )

    async def rotate(self, old_token: str, new_token: str, ttl: timedelta, *,
                     grace: timedelta = timedelta(0), conn: Conn | None = None) -> RotationResult:
        """Swap the refresh token; presenting a token that was already rotated revokes the
        whole session (someone else holds a copy of it).

        One exception, for several tabs of one browser refreshing at the same moment with the
        same token: the token rotated away *last*, presented again within ``grace`` of that
        rotation, whose successor is ``new_token`` (callers derive successors
        deterministically), is answered with the session unchanged, so every tab ends up
        holding the same current token. Any older token, or the last one after the grace,
        is a replay."""
        old_hash = token_hash(old_token)
        async with self.db.transaction(conn) as tx:
            session = await self.db.fetch_one(
                Session,
                "update user_sessions set session_token = %s,"
                " previous_token_hashes = previous_token_hashes || session_token,"
                " expires_at = now() + %s, last_used_at = now()"
                " where session_token = %s and revoked_at is null and expires_at > now()"
                f" returning {_COLUMNS}",
                token_hash(new_token), ttl, old_hash, conn=tx,
            )
            if session is not None:
                return RotationResult(session=session)
            session = await self.db.fetch_one(
                Session,
                f"select {_COLUMNS} from user_sessions where session_token = %s"
                " and previous_token_hashes[cardinality(previous_token_hashes)] = %s"
                " and last_used_at > now() - %s and revoked_at is null and expires_at > now()",
                token_hash(new_token), old_hash, grace, conn=tx,
            )
            if session is not None:
                return RotationResult(session=session, concurrent=True)
            reused = await self.db.execute(
                "update user_sessions set revoked_at = coalesce(revoked_at, now()),"
                " revoked_reason = coalesce(revoked_reason, 'refresh_token_reuse')"
                " where %s = any(previous_token_hashes)",
                old_hash, conn=tx,
            ) > 0
        return RotationResult(session=None, reused=reused)

    async def list_active(self, user_id: UUID, *, conn: Conn | None = None) -> list[Session]:
        """The user's live sessions (signed-in devices), most recently used first."""
        return await self.db.fetch_all(
            Session,
            f"select {_COLUMNS} from user_sessions where user_id = %s and revoked_at is null"
            " and expires_at > now() order by last_used_at desc, id limit 200",
            user_id, conn=conn,
        )

    async def revoke_for_user(self, session_id: UUID, user_id: UUID, reason: str, *,
                              conn: Conn | None = None) -> bool:
        """Revoke one of the user's own sessions; False if it is not theirs or already over."""
        return await self.db.execute(
            "update user_sessions set revoked_at = now(), revoked_reason = %s"
            " where id = %s and user_id = %s and revoked_at is null and expires_at > now()",
            reason, session_id, user_id, conn=conn,
        ) > 0

    async def revoke(self, session_id: UUID, reason: str = "logout", *,
                     conn: Conn | None = None) -> None:
        await self.db.execute(
            "update user_sessions set revoked_at = now(), revoked_reason = %s"
            " where id = %s and revoked_at is null",
            reason, session_id, conn=conn,
        )

    async def revoke_others(self, user_id: UUID, keep: UUID, reason: str, *,
                            conn: Conn | None = None) -> int:
        """Revoke every live session of the user but ``keep``; how many were ended."""
        return await self.db.execute(
            "update user_sessions set revoked_at = now(), revoked_reason = %s"
            " where user_id = %s and id <> %s and revoked_at is null",
            reason, user_id, keep, conn=conn,
        )

    async def revoke_all(self, user_id: UUID, reason: str, *, conn: Conn | None = None) -> None:
        await self.db.execute(
            "update user_sessions set revoked_at = now(), revoked_reason = %s"
            " where user_id = %s and revoked_at is null",
            reason, user_id, conn=conn,
        )
