"""Mentors: who is assigned to whom, which conversations a human has paused the AI on, and the
alerts already sent (for the one-alert-per-conversation-per-window limit)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.store.base import Page, fetch_page
from ignacio_agents.store.conversations import _RECENT, _SUMMARY_SELECT, ConversationSummary

# The participants a mentor follows: assigned directly, or current members of a cohort they
# mentor. Takes the mentor's id twice.
MENTEES = ("(select participant_id from mentor_assignments where mentor_id = %s"
           " union select m.user_id from cohort_members m join cohort_mentors t"
           " on t.cohort_id = m.cohort_id where m.left_at is null and t.user_id = %s)")


class Pause(BaseModel):
    conversation_id: UUID
    paused_by: UUID | None
    paused_by_name: str | None = None
    paused_at: datetime
    last_activity_at: datetime


class Assignment(BaseModel):
    mentor_id: UUID
    participant_id: UUID
    participant_name: str | None
    created_at: datetime


class MentorRef(BaseModel):
    mentor_id: UUID
    mentor_name: str | None


class MentoringStore:
    def __init__(self, db: Database):
        self.db = db

    # --- assignments -----------------------------------------------------------------------
    async def assign(self, mentor_id: UUID, participant_id: UUID, *, assigned_by: UUID | None,
                     conn: Conn | None = None) -> bool:
        """True when the assignment is new."""
        return await self.db.execute(
            "insert into mentor_assignments (mentor_id, participant_id, assigned_by)"
            " values (%s, %s, %s) on conflict do nothing",
            mentor_id, participant_id, assigned_by, conn=conn,
        ) == 1

    async def unassign(self, mentor_id: UUID, participant_id: UUID, *,
                       conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "delete from mentor_assignments where mentor_id = %s and participant_id = %s",
            mentor_id, participant_id, conn=conn,
        ) == 1

    async def mentors_of(self, participant_id: UUID, *,
                         conn: Conn | None = None) -> list[MentorRef]:
        """The mentors assigned to a participant directly (cohort mentors are the cohort's)."""
        return await self.db.fetch_all(
            MentorRef,
            "select u.id as mentor_id, u.name as mentor_name from mentor_assignments a"
            " join users u on u.id = a.mentor_id where a.participant_id = %s"
            " order by lower(coalesce(u.name, '')), u.id",
            participant_id, conn=conn,
        )

    async def is_assigned(self, mentor_id: UUID, participant_id: UUID, *,
                          conn: Conn | None = None) -> bool:
        return bool(await self.db.fetch_value(
            f"select %s::uuid in {MENTEES}", participant_id, mentor_id, mentor_id, conn=conn,
        ))

    async def participants(self, mentor_id: UUID, *, conn: Conn | None = None) -> list[Assignment]:
        """Directly assigned participants and the current members of the mentor's cohorts."""
        return await self.db.fetch_all(
            Assignment,
            "select %s::uuid as mentor_id, u.id as participant_id, u.name as participant_name,"
            " u.created_at from users u"
            f" where u.id in {MENTEES} order by lower(coalesce(u.name, '')), u.id",
            mentor_id, mentor_id, mentor_id, conn=conn,
        )

    async def staff_to_alert(self, participant_id: UUID, *,
                             conn: Conn | None = None) -> list[UUID]:
        """Who hears that a participant asked for a person: their active mentors, or every
        active admin when they have none."""
        rows = await self.db.fetch_all(
            dict,
            "with mentors as (select u.id from users u where u.is_active and u.is_mentor and"
            " (u.id in (select mentor_id from mentor_assignments where participant_id = %s)"
            " or u.id in (select t.user_id from cohort_mentors t join cohort_members m"
            " on m.cohort_id = t.cohort_id where m.left_at is null and m.user_id = %s)))"
            " select id from mentors union all select id from users where is_admin and is_active"
            " and not exists (select 1 from mentors)",
            participant_id, participant_id, conn=conn,
        )
        return [r["id"] for r in rows]

    async def last_inbound_at(self, user_id: UUID, channel: str, *,
                              conn: Conn | None = None) -> datetime | None:
        """When the participant last wrote on ``channel`` (a channel's reply window starts there)."""
        value = await self.db.fetch_value(
            "select max(created_at) from messages where user_id = %s and channel = %s"
            " and is_from_user", user_id, channel, conn=conn,
        )
        return value if isinstance(value, datetime) else None

    async def conversations(self, mentor_id: UUID | None, *, user_id: UUID | None = None,
                            limit: int | None = None, cursor: str | None = None,
                            conn: Conn | None = None) -> Page[ConversationSummary]:
        """Conversations of the mentor's participants (everyone's for ``None``: an admin),
        newest activity first."""
        where: list[str] = []
        params: list[object] = []
        if mentor_id is not None:
            where.append(f"c.user_id in {MENTEES}")
            params += [mentor_id, mentor_id]
        if user_id is not None:
            where.append("c.user_id = %s")
            params.append(user_id)
        return await fetch_page(self.db, _SUMMARY_SELECT, where, params, _RECENT, limit=limit,
                                cursor=cursor, build=ConversationSummary.model_validate, conn=conn)

    # --- pauses ----------------------------------------------------------------------------
    async def pause(self, conversation_id: UUID, by: UUID, *, timeout_seconds: float,
                    conn: Conn | None = None) -> Pause:
        """Pause a conversation, or refresh its pause (a pause that had run out starts anew)."""
        await self.db.execute(
            "insert into conversation_pauses (conversation_id, paused_by) values (%s, %s)"
            " on conflict (conversation_id) do update set paused_by = excluded.paused_by,"
            " paused_at = case when conversation_pauses.last_activity_at"
            "   <= now() - make_interval(secs => %s::float8) then now()"
            "   else conversation_pauses.paused_at end,"
            " last_activity_at = now()",
            conversation_id, by, timeout_seconds, conn=conn,
        )
        pause = await self.get_pause(conversation_id, timeout_seconds=None, conn=conn)
        assert pause is not None
        return pause

    async def touch_pause(self, conversation_id: UUID, *, conn: Conn | None = None) -> None:
        """A human acted on the paused conversation: the pause lasts from now."""
        await self.db.execute(
            "update conversation_pauses set last_activity_at = now() where conversation_id = %s",
            conversation_id, conn=conn,
        )

    async def get_pause(self, conversation_id: UUID, *, timeout_seconds: float | None,
                        conn: Conn | None = None) -> Pause | None:
        """The conversation's pause while it lasts: ``timeout_seconds`` after the last human
        activity it is over (None: any stored pause)."""
        return await self.db.fetch_one(
            Pause,
            "select p.conversation_id, p.paused_by, u.name as paused_by_name, p.paused_at,"
            " p.last_activity_at from conversation_pauses p left join users u on u.id = p.paused_by"
            " where p.conversation_id = %s and (%s::float8 is null"
            " or p.last_activity_at > now() - make_interval(secs => %s::float8))",
            conversation_id, timeout_seconds, timeout_seconds, conn=conn,
        )

    async def resume(self, conversation_id: UUID, *, conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "delete from conversation_pauses where conversation_id = %s", conversation_id, conn=conn,
        ) == 1

    # --- alerts ----------------------------------------------------------------------------
    async def claim_alert(self, conversation_id: UUID, recipient_id: UUID, *,
                          window_seconds: float, conn: Conn | None = None) -> bool:
        """Record an alert unless one went to ``recipient_id`` about this conversation within
        the window; True when this alert may be sent. Serialised per conversation by a
        transaction-scoped advisory lock, so two turns at once still send one alert."""
        async with self.db.transaction(conn) as tx:
            await self.db.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                  f"mentor-alert:{conversation_id}:{recipient_id}", conn=tx)
            recent = await self.db.fetch_value(
                "select exists (select 1 from mentor_alerts where conversation_id = %s"
                " and recipient_id = %s and created_at > now() - make_interval(secs => %s::float8))",
                conversation_id, recipient_id, window_seconds, conn=tx,
            )
            if recent:
                return False
            await self.db.execute(
                "insert into mentor_alerts (conversation_id, recipient_id) values (%s, %s)",
                conversation_id, recipient_id, conn=tx,
            )
            return True
