"""Recall: what the advisor's search tools find in a participant's history and files.

Both searches are ranked full text in Spanish and English (``store.search``), hybrid with the
participant's embedded texts when an embeddings model is configured: the query is embedded
once and the two rankings are fused. A file small enough to read at once is handed over whole
(every chunk, with its location) instead of as fragments, so the model sees the whole context
of a one-page document rather than 35 words of it; a budget keeps several small files from
crowding the model's window.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

from pydantic import BaseModel

from ignacio_agents.embeddings import Embeddings
from ignacio_agents.store import Store
from ignacio_agents.store.messages import HistoryHit
from ignacio_agents.store.search import QueryVector
from ignacio_agents.tokens import count_tokens

SMALL_FILE_TOKENS = 1_200
"""A file whose whole text is at most this many tokens is read whole by ``search_files``."""

WHOLE_FILES_TOKENS = 2_400
"""At most this many tokens of whole files per search; further hits come as fragments."""

_CHARS_PER_TOKEN_MAX = 8
"""No text averages more characters per token than this: files longer than
``SMALL_FILE_TOKENS * 8`` characters are not even fetched to be counted."""


class Passage(BaseModel):
    """One passage found in a file, with where it is."""

    file_id: UUID
    file_name: str
    part: str
    location: str
    text: str
    whole_file: bool = False  # True: this passage is part of a file given whole


@dataclass
class Recall:
    store: Store
    embeddings: Embeddings | None = None

    @property
    def hybrid(self) -> bool:
        return self.embeddings is not None

    async def _vector(self, query: str) -> QueryVector | None:
        return await self.embeddings.embed_query(query) if self.embeddings else None

    async def history(self, user_id: UUID, query: str, *, limit: int = 8,
                      exclude_id: UUID | None = None) -> list[HistoryHit]:
        """The user's messages that best answer ``query``, best first."""
        return await self.store.messages.search_history(
            user_id, query, limit=limit, exclude_id=exclude_id, vector=await self._vector(query))

    async def files(self, user_id: UUID, query: str, *, limit: int = 6) -> list[Passage]:
        """Passages of the user's files that best answer ``query``, best first; a small file
        found by the search comes whole, once, at the rank of its best passage."""
        hits = await self.store.files.search(user_id, query, limit=limit,
                                             vector=await self._vector(query))
        out: list[Passage] = []
        whole: set[UUID] = set()
        budget = WHOLE_FILES_TOKENS
        for hit in hits:
            if hit.file_id in whole:
                continue
            if hit.file_chars <= SMALL_FILE_TOKENS * _CHARS_PER_TOKEN_MAX:
                found = await self._whole_file(user_id, hit.file_id, budget)
                if found is not None:
                    parts, tokens = found
                    whole.add(hit.file_id)
                    out.extend(parts)
                    budget -= tokens
                    continue
            out.append(Passage(file_id=hit.file_id, file_name=hit.file_name, part=hit.part,
                               location=hit.location, text=hit.snippet))
        return out

    async def _whole_file(self, user_id: UUID, file_id: UUID,
                          budget: int) -> tuple[list[Passage], int] | None:
        """Every chunk of the file and their tokens, when it is small and fits ``budget``."""
        chunks = await self.store.files.read_part(
            user_id, file_id, None, max_chars=SMALL_FILE_TOKENS * _CHARS_PER_TOKEN_MAX)
        parts = [Passage(file_id=c.file_id, file_name=c.file_name, part=c.part,
                         location=c.location, text=c.content, whole_file=True) for c in chunks]
        tokens = await asyncio.to_thread(_tokens, parts)
        if not parts or tokens > min(SMALL_FILE_TOKENS, budget):
            return None
        return parts, tokens


def _tokens(parts: list[Passage]) -> int:
    return sum(count_tokens(p.text) for p in parts)
