"""Background embedding of messages and file chunks (durable procrastinate jobs).

One task, ``embed_pending``, embeds whatever still needs a vector for the configured model
(``store.embeddings``: new rows, edited messages, everything after a model change), newest
first, in bounded rounds; when a round is full it queues itself again, so a backfill of a large
existing database proceeds without holding a worker for long. It runs every minute (periodic)
and right after a file's text is extracted. A ``lock`` makes runs sequential and a
``queueing_lock`` keeps at most one waiting, so the job is idempotent under any number of
triggers. When the provider is down the run stops and the next one resumes.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from procrastinate import Blueprint, JobContext
from procrastinate.exceptions import AlreadyEnqueued

from ignacio_agents.embeddings import BATCH_SIZE, Embeddings, EmbeddingsUnavailable
from ignacio_agents.jobs import BACKGROUND_PRIORITY, runtime_of
from ignacio_agents.store import Store

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

TASK = "embeddings:embed_pending"
ROUND_ROWS = 16 * BATCH_SIZE
"""Texts embedded by one run at most before it queues the next."""

LOCK = "embeddings"


def embeddings_jobs() -> Blueprint:
    """The ``embeddings`` blueprint, built fresh for each job app (see ``files_jobs``)."""
    bp = Blueprint()
    bp.ignacio_namespace = "embeddings"  # type: ignore[attr-defined]

    @bp.periodic(cron="* * * * *", periodic_id="embed-pending")
    @bp.task(name="embed_pending_periodic", pass_context=True, lock=LOCK, queueing_lock=LOCK,
             priority=BACKGROUND_PRIORITY)
    async def embed_pending_periodic(context: JobContext, timestamp: int) -> int:
        return await _run(context)

    bp.task(name="embed_pending", pass_context=True, lock=LOCK, queueing_lock=LOCK,
            priority=BACKGROUND_PRIORITY)(embed_pending)
    return bp


async def embed_pending(context: JobContext) -> int:
    """Job: one round of embedding; returns how many texts got a vector (or were refused)."""
    return await _run(context)


async def _run(context: JobContext) -> int:
    runtime = runtime_of(context)
    embeddings = runtime.embeddings
    if embeddings is None:
        return 0
    try:
        done, full = await embed_round(runtime.store, embeddings)
    except EmbeddingsUnavailable as exc:
        log.warning("embedding paused, the provider failed: %s", exc)
        return 0
    if full:
        await request_embedding(runtime)
    return done


async def embed_round(store: Store, embeddings: Embeddings, *,
                      max_rows: int = ROUND_ROWS) -> tuple[int, bool]:
    """Embed up to ``max_rows`` pending texts (file chunks first: a file just uploaded is the
    likeliest to be asked about). Returns (texts handled, whether more may be pending)."""
    model = embeddings.model_key
    handled = 0
    while handled < max_rows:
        size = min(BATCH_SIZE, max_rows - handled)
        chunks = await store.embeddings.pending_chunks(model, size)
        if chunks:
            vectors = await embeddings.embed_documents([c.text for c in chunks])
            await store.embeddings.save_chunks(model, chunks, vectors)
            handled += len(chunks)
            continue
        messages = await store.embeddings.pending_messages(model, size)
        if not messages:
            return handled, False
        vectors = await embeddings.embed_documents([m.text for m in messages])
        await store.embeddings.save_messages(model, messages, vectors)
        handled += len(messages)
    log.info("embedded %d texts with %s; more are pending", handled, model)
    return handled, True


async def request_embedding(runtime: Runtime) -> None:
    """Queue a round now (a no-op without embeddings, or when one is already waiting)."""
    if runtime.embeddings is None or TASK not in runtime.jobs.tasks:
        return
    with contextlib.suppress(AlreadyEnqueued):
        await runtime.jobs.configure_task(TASK, lock=LOCK, queueing_lock=LOCK).defer_async()
