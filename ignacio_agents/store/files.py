"""User files: metadata, extraction state, and the searchable text chunks with locations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.db import Conn, Database
from ignacio_agents.domain import MessageType
from ignacio_agents.store.base import Keyset, Page, fetch_page
from ignacio_agents.store.search import (
    CHUNKS,
    QueryVector,
    opening,
    ranked_ids_sql,
    search_params,
    snippet_sql,
)


class UserFile(BaseModel):
    id: UUID
    user_id: UUID
    file_name: str
    file_path: str
    file_type: str
    file_size: int
    created_at: datetime
    conversation_id: UUID | None
    source: str
    kind: MessageType
    content_sha256: bytes | None = None
    extraction_status: str
    extraction_error: str | None
    part_count: int | None
    part_label: str | None
    transcript: str | None


class ChunkIn(BaseModel):
    ordinal: int
    part: str
    location: str
    content: str


class FileHit(BaseModel):
    chunk_id: int
    file_id: UUID
    file_name: str
    part: str
    location: str
    ordinal: int
    snippet: str  # the chunk whole when short, else its best fragments; never any markup
    rank: float  # fused reciprocal-rank score: only the order means something
    file_chars: int  # length of the whole file's text, to read a small file whole


class FilePart(BaseModel):
    file_id: UUID
    file_name: str
    part: str
    location: str
    content: str


_COLUMNS = (
    "id, user_id, file_name, file_path, file_type, file_size, created_at, conversation_id, source,"
    " kind, content_sha256, extraction_status, extraction_error, part_count, part_label, transcript"
)


class FileStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(
        self, *, file_id: UUID, user_id: UUID, file_name: str, file_path: str, file_type: str,
        file_size: int, kind: MessageType, source: str = "web",
        conversation_id: UUID | None = None, content_sha256: bytes | None = None,
        extraction_status: str = "pending", conn: Conn | None = None,
    ) -> UserFile:
        created = await self.db.fetch_one(
            UserFile,
            "insert into user_files (id, user_id, file_name, file_path, file_type, file_size,"
            " kind, source, conversation_id, content_sha256, extraction_status)"
            f" values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning {_COLUMNS}",
            file_id, user_id, file_name, file_path, file_type, file_size, kind.value, source,
            conversation_id, content_sha256, extraction_status, conn=conn,
        )
        assert created is not None
        return created

    async def get(self, file_id: UUID, *, user_id: UUID | None = None,
                  conn: Conn | None = None) -> UserFile | None:
        return await self.db.fetch_one(
            UserFile,
            f"select {_COLUMNS} from user_files where id = %s"
            " and (%s::uuid is null or user_id = %s::uuid)",
            file_id, user_id, user_id, conn=conn,
        )

    async def list_for_user(
        self, user_id: UUID, *, limit: int | None = None, cursor: str | None = None,
        conn: Conn | None = None,
    ) -> Page[UserFile]:
        return await fetch_page(
            self.db, f"select {_COLUMNS} from user_files", ["user_id = %s"], [user_id],
            Keyset("created_at", "id"), limit=limit, cursor=cursor,
            build=UserFile.model_validate, conn=conn,
        )

    async def keys_for_user(self, user_id: UUID, *, conn: Conn | None = None) -> list[str]:
        rows = await self.db.fetch_all(
            dict, "select file_path from user_files where user_id = %s", user_id, conn=conn
        )
        return [r["file_path"] for r in rows]

    async def delete(self, file_id: UUID, *, user_id: UUID | None = None,
                     conn: Conn | None = None) -> UserFile | None:
        """Delete the row (its chunks cascade); return it so the caller removes the object."""
        return await self.db.fetch_one(
            UserFile,
            "delete from user_files where id = %s and (%s::uuid is null or user_id = %s::uuid)"
            f" returning {_COLUMNS}",
            file_id, user_id, user_id, conn=conn,
        )

    async def find_extracted_twin(self, user_id: UUID, sha256: bytes, *, excluding: UUID,
                                  conn: Conn | None = None) -> UserFile | None:
        """Another of the user's files with the same bytes whose extraction is finished."""
        return await self.db.fetch_one(
            UserFile,
            f"select {_COLUMNS} from user_files where user_id = %s and content_sha256 = %s"
            " and id <> %s and extraction_status in ('done', 'unreadable', 'failed')"
            " order by created_at limit 1",
            user_id, sha256, excluding, conn=conn,
        )

    async def set_extraction(
        self, file_id: UUID, status: str, *, error: str | None = None,
        part_count: int | None = None, part_label: str | None = None, conn: Conn | None = None,
    ) -> None:
        await self.db.execute(
            "update user_files set extraction_status = %s, extraction_error = %s,"
            " part_count = coalesce(%s, part_count), part_label = coalesce(%s, part_label)"
            " where id = %s",
            status, error, part_count, part_label, file_id, conn=conn,
        )

    async def set_transcript(self, file_id: UUID, transcript: str, *,
                             conn: Conn | None = None) -> None:
        await self.db.execute("update user_files set transcript = %s where id = %s",
                              transcript, file_id, conn=conn)

    async def replace_chunks(self, file_id: UUID, user_id: UUID, chunks: Sequence[ChunkIn], *,
                             conn: Conn | None = None) -> None:
        async with self.db.transaction(conn) as tx:
            await self.db.execute("delete from file_chunks where file_id = %s", file_id, conn=tx)
            async with tx.cursor() as cur:
                await cur.executemany(
                    "insert into file_chunks (file_id, user_id, ordinal, part, location, content)"
                    " values (%s, %s, %s, %s, %s, %s)",
                    [(file_id, user_id, c.ordinal, c.part, c.location, c.content) for c in chunks],
                )

    async def copy_chunks(self, source_file_id: UUID, target_file_id: UUID, *,
                          conn: Conn | None = None) -> None:
        await self.db.execute(
            "insert into file_chunks (file_id, user_id, ordinal, part, location, content)"
            " select %s, user_id, ordinal, part, location, content from file_chunks"
            " where file_id = %s",
            target_file_id, source_file_id, conn=conn,
        )

    async def search(self, user_id: UUID, query: str, *, limit: int = 6,
                     vector: QueryVector | None = None,
                     conn: Conn | None = None) -> list[FileHit]:
        """The chunks of one user's files that best match ``query`` (any of its words, ranked;
        see ``store.search``), fused with the nearest chunks by ``vector`` when given."""
        sql = (
            ranked_ids_sql(CHUNKS)
            + " select c.id as chunk_id, c.file_id, f.file_name, c.part, c.location, c.ordinal,"
            " c.content, ranked.score as rank,"
            " (select sum(length(x.content)) from file_chunks x where x.file_id = c.file_id)"
            "   as file_chars,"
            f" {snippet_sql('c.content')} as snippet"
            " from ranked join file_chunks c on c.id = ranked.id"
            " join user_files f on f.id = c.file_id"
            " order by ranked.score desc, c.file_id, c.ordinal"
        )
        params = search_params(user_id, query, limit=limit, vector=vector)
        async with self.db.connection(conn) as c:
            cur = await c.execute(sql, params)
            rows = await cur.fetchall()
        return [FileHit.model_validate({**r, "snippet": r["snippet"] or opening(r["content"])})
                for r in rows]

    async def read_part(self, user_id: UUID, file_id: UUID, part: str | None, *,
                        max_chars: int = 8000, conn: Conn | None = None) -> list[FilePart]:
        """Chunks of one part (e.g. 'page:3'), or the first chunks when ``part`` is empty."""
        params: list[Any] = [file_id, user_id]
        where = "c.file_id = %s and c.user_id = %s"
        if part:
            where += " and (c.part = %s or c.location = %s)"
            params += [part, part]
        rows = await self.db.fetch_all(
            dict,
            "select c.file_id, f.file_name, c.part, c.location, c.content"
            " from file_chunks c join user_files f on f.id = c.file_id"
            f" where {where} order by c.ordinal limit 200",
            *params, conn=conn,
        )
        out, total = [], 0
        for r in rows:
            if total >= max_chars:
                break
            content = r["content"][: max_chars - total]
            total += len(content)
            out.append(FilePart.model_validate({**r, "content": content}))
        return out

    async def parts(self, file_id: UUID, *, conn: Conn | None = None) -> list[str]:
        rows = await self.db.fetch_all(
            dict,
            "select part from file_chunks where file_id = %s group by part order by min(ordinal)",
            file_id, conn=conn,
        )
        return [r["part"] for r in rows]
