"""Everything stored about one participant, read in one consistent snapshot, for their data
export. Only what is theirs and readable: no secrets (session and OTP hashes, sealed channel
ids, PydanticAI replay messages) and no other person's data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ignacio_agents.db import Database

# Each section: (name, SQL with one %s for the user id). Columns are chosen, never ``*``, so a
# new secret column elsewhere never leaks into exports by accident.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("project_profile", "select profile, updated_at from project_profiles where user_id = %s"),
    ("project_profile_history",
     "select id, message_id, source, changes, created_at from project_profile_changes"
     " where user_id = %s order by created_at, id"),
    ("conversations",
     "select id, title, channel, created_at, updated_at from conversations where user_id = %s"
     " order by created_at, id"),
    ("messages",
     "select id, conversation_id, channel, is_from_user, message_type, content, agent, answer,"
     " file_id, status, feedback, reply_to_id, created_at from messages where user_id = %s"
     " order by created_at, id"),
    ("files",
     "select id, file_name, file_type, file_size, kind, source, conversation_id,"
     " extraction_status, transcript, created_at, file_path from user_files where user_id = %s"
     " order by created_at, id"),
    ("memory",
     "select m.id, m.conversation_id, m.kind, m.text, m.channel, m.source_at, m.created_at"
     " from memory_items m where m.user_id = %s order by m.created_at, m.id"),
    ("forgotten_on_request",
     "select text, created_at from memory_forgotten where user_id = %s order by created_at"),
    ("cohorts",
     "select c.name, c.starts_on, c.ends_on, m.joined_at, m.left_at from cohort_members m"
     " join cohorts c on c.id = m.cohort_id where m.user_id = %s order by m.joined_at"),
    ("usage",
     "select purpose, model, requests, input_tokens, output_tokens, cost_usd, created_at"
     " from usage_ledger where user_id = %s order by created_at, id"),
    ("consent_notices",
     "select channel, language, notice, shown_at, acknowledged_at from consents"
     " where user_id = %s order by shown_at, channel"),
    ("sessions",
     "select created_at, last_used_at, expires_at, revoked_at from user_sessions"
     " where user_id = %s order by created_at"),
)


class ExportStore:
    def __init__(self, db: Database):
        self.db = db

    async def snapshot(self, user_id: UUID) -> dict[str, list[dict[str, Any]]]:
        """Every section for ``user_id``, read in one repeatable-read transaction (a message
        arriving meanwhile is either wholly in the export or not at all)."""
        async with self.db.connection() as conn, conn.transaction():
            await conn.execute("set transaction isolation level repeatable read, read only")
            out: dict[str, list[dict[str, Any]]] = {}
            for name, sql in SECTIONS:
                cur = await conn.execute(sql, (user_id,))
                out[name] = [dict(r) for r in await cur.fetchall()]
        return out
