"""Background work on uploaded files: text extraction and audio transcription.

Both run as durable procrastinate jobs deferred by ``files.ingest``, never in a request. The
parse itself happens in the documents module's sandboxed child process (bounded time and
memory), so a broken or hostile file ends as ``failed`` with a reason and the server keeps
serving. Jobs are idempotent: a finished file is left alone, so a re-queued job (stalled worker)
is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from uuid import UUID

import psycopg
from procrastinate import Blueprint, JobContext, RetryStrategy

from ignacio_agents.blobs import BlobNotFound
from ignacio_agents.documents.chunk import chunk_parts
from ignacio_agents.documents.extract import extract_async
from ignacio_agents.documents.results import Extraction
from ignacio_agents.embedding_jobs import request_embedding
from ignacio_agents.files import spool_blob
from ignacio_agents.jobs import runtime_of
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.transcription import TranscriptionError, TranscriptionNotConfigured, transcribe

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

EXTRACTION_TIMEOUT = 30.0
"""Seconds one file's parse may take before it is stopped and marked failed."""

TRANSCRIPTION_ATTEMPTS = 3
"""Tries for a transcription whose failure may pass (429, 5xx, network)."""

FINISHED = frozenset({"done", "unreadable", "failed", "not_applicable"})


def files_jobs() -> Blueprint:
    """The ``files`` blueprint, built fresh for each job app.

    Fresh because procrastinate's ``add_tasks_from`` renames the blueprint's own tasks in
    place: a module-level blueprint would register as ``files:files:...`` in the second app of
    a process (tests open one app per test).
    """
    bp = Blueprint()
    bp.ignacio_namespace = "files"  # type: ignore[attr-defined]
    bp.task(name="extract_file", pass_context=True)(extract_file)
    bp.task(
        name="transcribe_file", pass_context=True,
        retry=RetryStrategy(max_attempts=TRANSCRIPTION_ATTEMPTS - 1, wait=5, linear_wait=10,
                            retry_exceptions={TranscriptionError}),
    )(transcribe_file)
    return bp


async def extract_file(context: JobContext, file_id: str) -> str:
    """Job: extract, chunk and index one file's text; return the final status."""
    return await run_extraction(runtime_of(context), UUID(file_id))


async def transcribe_file(context: JobContext, file_id: str) -> str:
    """Job: transcribe one audio file and store the transcript; return the final status."""
    attempt = context.job.attempts if context.job else 0
    return await run_transcription(runtime_of(context), UUID(file_id),
                                   last_attempt=attempt + 1 >= TRANSCRIPTION_ATTEMPTS)


async def run_extraction(runtime: Runtime, file_id: UUID, *,
                         parse_seconds: float | None = None) -> str:
    """The extraction job's body: running -> done / unreadable / failed (with a reason).

    ``parse_seconds`` bounds the parse (default ``EXTRACTION_TIMEOUT``, read at call time).
    """
    files = runtime.store.files
    file = await files.get(file_id)
    if file is None:
        return "gone"
    if file.extraction_status in FINISHED:
        return file.extraction_status
    await files.set_extraction(file_id, "running")
    try:
        budget = EXTRACTION_TIMEOUT if parse_seconds is None else parse_seconds
        extraction = await _extract(runtime, file.file_path, file.file_type, budget)
        chunks = await asyncio.to_thread(chunk_parts, extraction.parts)
        await files.replace_chunks(file_id, file.user_id, [
            ChunkIn(ordinal=c.ordinal, part=c.part, location=c.location, content=c.content)
            for c in chunks
        ])
        await files.set_extraction(
            file_id, extraction.status.value, error=extraction.reason,
            part_count=extraction.part_count, part_label=extraction.part_label,
        )
    except psycopg.errors.ForeignKeyViolation:
        return "gone"  # deleted while it was being read
    except Exception:
        log.exception("extraction of file %s failed unexpectedly", file_id)
        await files.set_extraction(
            file_id, "failed", error="Something went wrong while reading the file; "
                                     "upload it again to retry.",
        )
        return "failed"
    log.info("extracted file %s: %s, %d chunks", file_id, extraction.status.value, len(chunks))
    if chunks:
        await request_embedding(runtime)
    return extraction.status.value


async def _extract(runtime: Runtime, key: str, mime: str, budget: float) -> Extraction:
    try:
        path = await spool_blob(runtime, key, mime)
    except BlobNotFound:
        return Extraction.failed("The stored file is missing.")
    try:
        return await extract_async(path, mime, timeout=budget)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def run_transcription(runtime: Runtime, file_id: UUID, *, last_attempt: bool = True) -> str:
    """The transcription job's body. A retryable failure is raised (procrastinate tries again)
    unless ``last_attempt``; the file already says ``failed`` with the reason meanwhile."""
    file = await runtime.store.files.get(file_id)
    if file is None:
        return "gone"
    try:
        await transcribe(runtime, file)
    except TranscriptionNotConfigured:
        await runtime.store.files.set_extraction(file_id, "not_applicable")
        return "not_applicable"
    except TranscriptionError as exc:
        log.warning("transcription of file %s failed: %s", file_id, exc)
        if exc.retryable and not last_attempt:
            raise
        return "failed"
    return "done"
