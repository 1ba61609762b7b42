"""The project profile each participant keeps: the context the advisor answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from ignacio_agents.db import Conn, Database
from ignacio_agents.domain import ProjectKind


class ProjectProfile(BaseModel):
    project_name: str | None = Field(default=None, max_length=200)
    kind: ProjectKind | None = None
    stage: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    goals: str | None = Field(default=None, max_length=4000)

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


class ProfileChange(BaseModel):
    id: int
    message_id: UUID | None
    source: str
    changes: dict[str, Any]
    created_at: datetime


class ProfileStore:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: UUID, *, conn: Conn | None = None) -> ProjectProfile:
        found = await self.db.fetch_value(
            "select profile from project_profiles where user_id = %s", user_id, conn=conn
        )
        return ProjectProfile.model_validate(found) if found else ProjectProfile()

    async def update(
        self, user_id: UUID, changes: dict[str, Any], *,
        source: Literal["user", "advisor", "admin"], message_id: UUID | None = None,
        conn: Conn | None = None,
    ) -> ProjectProfile:
        """Merge ``changes`` into the profile and record them with what caused them.

        The stored profile is row-locked while merging, so two concurrent updates of different
        fields (the advisor's and the participant's) both land."""
        async with self.db.transaction(conn) as tx:
            stored = await self.db.fetch_value(
                "select profile from project_profiles where user_id = %s for update", user_id,
                conn=tx,
            )
            current = ProjectProfile.model_validate(stored or {})
            merged = ProjectProfile.model_validate({**current.model_dump(), **changes})
            before = current.model_dump(mode="json")
            diff = {k: v for k, v in merged.model_dump(mode="json").items() if v != before.get(k)}
            if not diff:
                return current
            await self.db.execute(
                "insert into project_profiles (user_id, profile) values (%s, %s) on conflict"
                " (user_id) do update set profile = excluded.profile, updated_at = now()",
                user_id, Jsonb(merged.model_dump(mode="json")), conn=tx,
            )
            await self.db.execute(
                "insert into project_profile_changes (user_id, message_id, source, changes)"
                " values (%s, %s, %s, %s)",
                user_id, message_id, source, Jsonb(diff), conn=tx,
            )
        return merged

    async def history(self, user_id: UUID, limit: int = 50, *,
                      conn: Conn | None = None) -> list[ProfileChange]:
        return await self.db.fetch_all(
            ProfileChange,
            "select id, message_id, source, changes, created_at from project_profile_changes"
            " where user_id = %s order by created_at desc, id desc limit %s",
            user_id, limit, conn=conn,
        )
