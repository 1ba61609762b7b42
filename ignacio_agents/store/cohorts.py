"""Cohorts (editions of the program), who is in each one now and before, and their mentors.

A participant is in at most one cohort at a time: joining another closes the current
membership (its ``left_at`` is set) in the same statement batch, so the history of past
cohorts is kept and a partial unique index in the database makes two current ones impossible.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg.errors import UniqueViolation
from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.errors import Conflict
from ignacio_agents.store.base import Keyset, Page, fetch_page


class StoredCohort(BaseModel):
    id: UUID
    name: str
    starts_on: date
    ends_on: date
    language: str
    retention_days: int
    participant_daily_tokens: int | None
    participant_monthly_tokens: int | None
    cohort_daily_tokens: int | None
    cohort_monthly_tokens: int | None
    created_at: datetime
    updated_at: datetime
    member_count: int = 0
    mentor_ids: list[UUID] = []


class Membership(BaseModel):
    cohort_id: UUID
    cohort_name: str
    user_id: UUID
    joined_at: datetime
    left_at: datetime | None


class CohortNameTaken(Conflict):
    code = "cohort_name_taken"
    default_message = "A cohort with this name already exists."


FIELDS = ("name", "starts_on", "ends_on", "language", "retention_days",
          "participant_daily_tokens", "participant_monthly_tokens", "cohort_daily_tokens",
          "cohort_monthly_tokens")
_SELECT = (
    "select c.*,"
    " (select count(*) from cohort_members m where m.cohort_id = c.id and m.left_at is null)"
    " as member_count,"
    " coalesce((select array_agg(t.user_id order by t.created_at) from cohort_mentors t"
    " where t.cohort_id = c.id), '{}') as mentor_ids"
    " from cohorts c"
)


class CohortStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, *, conn: Conn | None = None, **fields: Any) -> StoredCohort:
        values = {k: fields[k] for k in FIELDS if k in fields}
        columns = ", ".join(values)
        try:
            cohort_id = await self.db.fetch_value(
                f"insert into cohorts ({columns}) values ({', '.join(['%s'] * len(values))})"
                " returning id", *values.values(), conn=conn,
            )
        except UniqueViolation:
            raise CohortNameTaken() from None
        cohort = await self.get(cohort_id, conn=conn)
        assert cohort is not None
        return cohort

    async def get(self, cohort_id: UUID, *, conn: Conn | None = None) -> StoredCohort | None:
        return await self.db.fetch_one(StoredCohort, f"{_SELECT} where c.id = %s", cohort_id,
                                       conn=conn)

    async def update(self, cohort_id: UUID, *, conn: Conn | None = None,
                     **fields: Any) -> StoredCohort | None:
        values = {k: fields[k] for k in FIELDS if k in fields}
        if values:
            assignments = ", ".join(f"{k} = %s" for k in values)
            try:
                changed = await self.db.execute(
                    f"update cohorts set {assignments}, updated_at = now() where id = %s",
                    *values.values(), cohort_id, conn=conn,
                )
            except UniqueViolation:
                raise CohortNameTaken() from None
            if not changed:
                return None
        return await self.get(cohort_id, conn=conn)

    async def page(self, *, limit: int | None = None, cursor: str | None = None,
                   conn: Conn | None = None) -> Page[StoredCohort]:
        """Newest first."""
        return await fetch_page(self.db, _SELECT, ["true"], [], Keyset("c.created_at", "c.id"),
                                limit=limit, cursor=cursor, build=StoredCohort.model_validate,
                                conn=conn)

    # --- membership -----------------------------------------------------------------------
    async def add_members(self, cohort_id: UUID, user_ids: list[UUID], *,
                          conn: Conn | None = None) -> list[UUID]:
        """Make each user a current member of the cohort, closing any other current
        membership; the ids that actually moved (those already in it are left as they are)."""
        async with self.db.transaction(conn) as tx:
            moving = await self.db.fetch_all(
                lambda r: r["id"],
                "select u.id from users u where u.id = any(%s) and not exists ("
                " select 1 from cohort_members m where m.user_id = u.id and m.left_at is null"
                " and m.cohort_id = %s) order by u.id for update",
                list(user_ids), cohort_id, conn=tx,
            )
            if moving:
                await self.db.execute(
                    "update cohort_members set left_at = now()"
                    " where user_id = any(%s) and left_at is null", moving, conn=tx,
                )
                await self.db.execute(
                    "insert into cohort_members (cohort_id, user_id)"
                    " select %s, unnest(%s::uuid[])", cohort_id, moving, conn=tx,
                )
        return list(moving)

    async def remove_member(self, cohort_id: UUID, user_id: UUID, *,
                            conn: Conn | None = None) -> bool:
        """End the user's current membership of this cohort (its history row stays)."""
        return await self.db.execute(
            "update cohort_members set left_at = now()"
            " where cohort_id = %s and user_id = %s and left_at is null",
            cohort_id, user_id, conn=conn,
        ) == 1

    async def member_ids(self, cohort_id: UUID, *, conn: Conn | None = None) -> list[UUID]:
        return await self.db.fetch_all(
            lambda r: r["user_id"],
            "select user_id from cohort_members where cohort_id = %s and left_at is null"
            " order by joined_at, user_id", cohort_id, conn=conn,
        )

    async def current_for(self, user_id: UUID, *, conn: Conn | None = None) -> StoredCohort | None:
        """The cohort the user is in now, if any."""
        return await self.db.fetch_one(
            StoredCohort,
            f"{_SELECT} join cohort_members m on m.cohort_id = c.id"
            " where m.user_id = %s and m.left_at is null", user_id, conn=conn,
        )

    async def history(self, user_id: UUID, *, conn: Conn | None = None) -> list[Membership]:
        """Every cohort the user has been in, newest first."""
        return await self.db.fetch_all(
            Membership,
            "select m.cohort_id, c.name as cohort_name, m.user_id, m.joined_at, m.left_at"
            " from cohort_members m join cohorts c on c.id = m.cohort_id"
            " where m.user_id = %s order by m.joined_at desc, m.id desc", user_id, conn=conn,
        )

    # --- mentors --------------------------------------------------------------------------
    async def add_mentor(self, cohort_id: UUID, user_id: UUID, *, conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "insert into cohort_mentors (cohort_id, user_id) values (%s, %s)"
            " on conflict do nothing", cohort_id, user_id, conn=conn,
        ) == 1

    async def remove_mentor(self, cohort_id: UUID, user_id: UUID, *,
                            conn: Conn | None = None) -> bool:
        return await self.db.execute(
            "delete from cohort_mentors where cohort_id = %s and user_id = %s",
            cohort_id, user_id, conn=conn,
        ) == 1
