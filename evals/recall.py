"""The recall suite: seeded bilingual history and files, one search per case, recall@5.

Unlike the answer suites no model is involved: each case runs the advisor's own retrieval
(``ignacio_agents.recall.Recall``, what ``search_history`` / ``search_files`` call) against a
participant seeded once per run from ``datasets/recall_corpus.yaml``, and returns the keys of
what came back, best first. Full text alone by default (offline, CI); hybrid when the run has
an embeddings model (``EMBEDDINGS_MODEL``; the seeded texts are embedded before the cases run).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic_evals import Dataset
from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from ignacio_agents.domain import MessageType
from ignacio_agents.embedding_jobs import embed_round
from ignacio_agents.embeddings import Embeddings
from ignacio_agents.recall import Recall
from ignacio_agents.store import Store
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.store.messages import NewMessage

K = 5
"""Results a case may look at: the tools hand the model 6-8, the first five are what counts."""


class RecallQuery(BaseModel):
    """A search as a model would send it to a tool."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    source: Literal["history", "files"]


class RecallInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["es", "en"]
    crosses_languages: bool = False  # the answer is in the other language, no shared word
    notes: str | None = None


# --- the seeded corpus ----------------------------------------------------------------------
class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str | None = None
    ignacio: str | None = None
    key: str | None = None


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    channel: str
    days_ago: int
    messages: list[_Message]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: str
    location: str
    text: str
    key: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: str
    label: str
    parts: list[_Part]


class Corpus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversations: list[_Conversation]
    files: list[_File]

    @classmethod
    def load(cls, path: Path) -> Corpus:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass
class SeededParticipant:
    user_id: UUID
    keys: dict[UUID | tuple[UUID, str], str]  # message id, or (file id, part), to its key


async def seed_corpus(store: Store, corpus: Corpus) -> SeededParticipant:
    """One participant holding the whole corpus, with the keys of what was stored."""
    user = await store.users.create(f"+3469{uuid.uuid4().int % 10**7:07d}", "Lucía Gómez")
    keys: dict[UUID | tuple[UUID, str], str] = {}
    now = datetime.now(UTC)
    for conv in corpus.conversations:
        conversation = await store.conversations.create(user.id, conv.channel, conv.title)
        for i, m in enumerate(conv.messages):
            text = m.user if m.user is not None else m.ignacio
            message = await store.messages.add(NewMessage(
                conversation_id=conversation.id, user_id=user.id, is_from_user=m.user is not None,
                content=text, channel=conv.channel,
                created_at=now - timedelta(days=conv.days_ago) + timedelta(minutes=i)))
            assert message is not None
            keys[message.id] = m.key or f"{conv.title}#{i}"
    for f in corpus.files:
        file_id = uuid.uuid4()
        await store.files.create(
            file_id=file_id, user_id=user.id, file_name=f.name,
            file_path=f"users/{user.id}/files/{file_id}/{f.name}", file_type=f.type,
            file_size=sum(len(p.text.encode()) for p in f.parts), kind=MessageType.document,
            extraction_status="done")
        await store.files.replace_chunks(file_id, user.id, [
            ChunkIn(ordinal=i, part=p.part, location=p.location, content=p.text)
            for i, p in enumerate(f.parts)])
        await store.files.set_extraction(file_id, "done", part_count=len(f.parts),
                                         part_label=f.label)
        for p in f.parts:
            keys[(file_id, p.part)] = p.key or f"{f.name}#{p.part}"
    return SeededParticipant(user.id, keys)


def recall_task(store: Store, embeddings: Embeddings | None,
                corpus_path: Path) -> Callable[[RecallQuery], Awaitable[list[list[str]]]]:
    """The task: what the search returns, best first, one entry per result as the model gets
    it: a message, a file passage, or a small file given whole (the keys of all its parts).
    The participant is seeded (and embedded, when hybrid) by the first case; the others wait."""
    lock = asyncio.Lock()
    seeded: list[SeededParticipant] = []

    async def participant() -> SeededParticipant:
        async with lock:
            if not seeded:
                seeded.append(await seed_corpus(store, Corpus.load(corpus_path)))
                if embeddings is not None:
                    while (await embed_round(store, embeddings))[1]:
                        pass
        return seeded[0]

    async def search(case: RecallQuery) -> list[list[str]]:
        who = await participant()
        recall = Recall(store, embeddings)
        if case.source == "history":
            hits = await recall.history(who.user_id, case.query, limit=K)
            return [[who.keys[h.message_id]] for h in hits]
        units: list[list[str]] = []
        last_whole: UUID | None = None
        for p in await recall.files(who.user_id, case.query, limit=K):
            key = who.keys[(p.file_id, p.part)]
            if p.whole_file and p.file_id == last_whole:
                units[-1].append(key)
            else:
                units.append([key])
            last_whole = p.file_id if p.whole_file else None
        return units

    return search


# --- checks ----------------------------------------------------------------------------------
@dataclass
class RecalledAt(Evaluator[RecallQuery, Any, RecallInfo]):
    """The expected message or part is among the first ``k`` results."""

    k: int = K

    def evaluate(self, ctx: EvaluatorContext[RecallQuery, Any, RecallInfo]) -> EvaluationReason:
        rank = rank_of(ctx.expected_output, ctx.output)
        if rank is not None and rank <= self.k:
            return EvaluationReason(True, f"rank {rank}")
        got = [" + ".join(unit) for unit in ctx.output[: self.k]]
        return EvaluationReason(False, f"not in the first {self.k}: got {got or 'nothing'}")


@dataclass
class ReciprocalRank(Evaluator[RecallQuery, Any, RecallInfo]):
    """1 / rank of the expected result (0 when absent): averaged, the suite's MRR."""

    def evaluate(self, ctx: EvaluatorContext[RecallQuery, Any, RecallInfo]) -> float:
        rank = rank_of(ctx.expected_output, ctx.output)
        return 1.0 / rank if rank else 0.0


def rank_of(key: str, results: list[list[str]]) -> int | None:
    """1-based rank of the result holding ``key`` (a whole file holds all its parts)."""
    return next((i + 1 for i, unit in enumerate(results) if key in unit), None)


RECALL_EVALUATORS: tuple[type[Evaluator[Any, Any, Any]], ...] = (RecalledAt, ReciprocalRank)


def load_recall_dataset(directory: Path) -> Dataset[RecallQuery, Any, RecallInfo]:
    return Dataset[RecallQuery, Any, RecallInfo].from_file(
        directory / "recall.yaml", custom_evaluator_types=RECALL_EVALUATORS)
