"""Embeddings of messages and file chunks: what still needs one, and saving them.

"Needs one" is computed, not queued: a text with no row for the current model, or (messages)
whose text changed since it was embedded. So the background job is idempotent, a backfill of
existing rows is the same query as keeping up with new ones, and switching models re-embeds
everything without a migration. Saving skips texts deleted in the meantime.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database


class PendingText(BaseModel):
    id: UUID | int  # message id (uuid) or chunk id (bigint)
    user_id: UUID
    text: str
    content_md5: str | None = None  # messages only


class EmbeddingStore:
    def __init__(self, db: Database):
        self.db = db

    async def pending_messages(self, model: str, limit: int, *,
                               conn: Conn | None = None) -> list[PendingText]:
        """Newest first: recent conversations are the likeliest to be searched."""
        return await self.db.fetch_all(
            PendingText,
            "select m.id, m.user_id, m.content as text, md5(m.content) as content_md5"
            " from messages m left join message_embeddings e on e.message_id = m.id"
            " where m.content is not null and btrim(m.content) <> ''"
            " and (e.message_id is null or e.model <> %s or e.content_md5 <> md5(m.content))"
            " order by m.created_at desc limit %s",
            model, limit, conn=conn,
        )

    async def pending_chunks(self, model: str, limit: int, *,
                             conn: Conn | None = None) -> list[PendingText]:
        """Newest first; the text embedded is the chunk with its file name and location."""
        return await self.db.fetch_all(
            PendingText,
            "select c.id, c.user_id,"
            " f.file_name || ' (' || c.location || ')' || E'\\n' || c.content as text"
            " from file_chunks c join user_files f on f.id = c.file_id"
            " left join chunk_embeddings e on e.chunk_id = c.id"
            " where e.chunk_id is null or e.model <> %s"
            " order by c.id desc limit %s",
            model, limit, conn=conn,
        )

    async def save_messages(self, model: str, texts: Sequence[PendingText],
                            vectors: Sequence[list[float] | None], *,
                            conn: Conn | None = None) -> int:
        """Store one vector per text (None: refused by the provider, not retried)."""
        return await self.db.execute(
            "insert into message_embeddings (message_id, user_id, model, content_md5, embedding)"
            " select m.id, m.user_id, %s, v.md5, v.e::vector"
            " from unnest(%s::uuid[], %s::text[], %s::text[]) as v(id, md5, e)"
            " join messages m on m.id = v.id"
            " on conflict (message_id) do update set model = excluded.model,"
            " content_md5 = excluded.content_md5, embedding = excluded.embedding,"
            " created_at = now()",
            model, [t.id for t in texts], [t.content_md5 for t in texts],
            [_literal(v) for v in vectors], conn=conn,
        )

    async def save_chunks(self, model: str, texts: Sequence[PendingText],
                          vectors: Sequence[list[float] | None], *,
                          conn: Conn | None = None) -> int:
        return await self.db.execute(
            "insert into chunk_embeddings (chunk_id, user_id, model, embedding)"
            " select c.id, c.user_id, %s, v.e::vector"
            " from unnest(%s::bigint[], %s::text[]) as v(id, e)"
            " join file_chunks c on c.id = v.id"
            " on conflict (chunk_id) do update set model = excluded.model,"
            " embedding = excluded.embedding, created_at = now()",
            model, [t.id for t in texts], [_literal(v) for v in vectors], conn=conn,
        )

    async def counts(self, model: str, *, conn: Conn | None = None) -> dict[str, int]:
        """How many messages and chunks have a vector from ``model`` (for status and tests)."""
        row = await self.db.fetch_one(
            dict,
            "select (select count(*) from message_embeddings where model = %s"
            "   and embedding is not null) as messages,"
            " (select count(*) from chunk_embeddings where model = %s"
            "   and embedding is not null) as chunks",
            model, model, conn=conn,
        )
        assert row is not None
        return {"messages": row["messages"], "chunks": row["chunks"]}


def _literal(vector: list[float] | None) -> str | None:
    return None if vector is None else "[" + ",".join(repr(float(x)) for x in vector) + "]"
