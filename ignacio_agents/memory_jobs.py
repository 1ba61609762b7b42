"""Background folding of conversations into the participants' memory (procrastinate).

A periodic sweep (every minute) finds conversations with activity no fold has seen and defers
one ``fold_conversation`` job each, once the conversation is ready: quiet for
``MEMORY_FOLD_QUIET_SECONDS`` (a session's turns are summarised in one call, not one per
minute of it), left for another conversation (its participant has written in one since: what
they said is in their memory when they start over or switch channel), or busy for
``MEMORY_FOLD_MAX_LAG_SECONDS`` since its last fold (a long session's summary stays current).
The job runs under the conversation's fold lock, with a queueing lock so a busy conversation
has at most one fold waiting; it folds every answered turn after the cursor. Nothing here runs
while a participant waits for an answer, and folds are queued at ``BACKGROUND_PRIORITY`` (a
worker takes the waiting answers first). A fold that is behind only means the replayed summary
is a little older (the history trim still bounds every request).

The summarizer comes from settings (``folding.summarizer_for``), unless a process put one in
``runtime.services["summarizer"]`` (tests and benchmarks inject scripted models there).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from procrastinate import Blueprint, JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from ignacio_agents.folding import FoldReport, Summarizer, fold_conversation, summarizer_for
from ignacio_agents.jobs import BACKGROUND_PRIORITY, runtime_of

if TYPE_CHECKING:
    import procrastinate

    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

NAMESPACE = "memory"
FOLD_TASK = f"{NAMESPACE}:fold_conversation"
FOLD_ATTEMPTS = 3


def memory_jobs() -> Blueprint:
    """The ``memory`` blueprint, fresh per job app (procrastinate renames tasks in place)."""
    bp = Blueprint()
    bp.ignacio_namespace = NAMESPACE  # type: ignore[attr-defined]
    bp.task(name="fold_conversation", pass_context=True, priority=BACKGROUND_PRIORITY,
            retry=RetryStrategy(max_attempts=FOLD_ATTEMPTS - 1, wait=10, linear_wait=20))(fold_job)

    @bp.periodic(cron="* * * * *", periodic_id="fold-sweep")
    @bp.task(name="fold_sweep", pass_context=True, queueing_lock="fold-sweep")
    async def fold_sweep(context: JobContext, timestamp: int) -> int:
        return await sweep(runtime_of(context), context.app)

    return bp


def summarizer_of(runtime: Runtime) -> Summarizer:
    summarizer = runtime.services.get("summarizer")
    if summarizer is None:
        summarizer = runtime.services["summarizer"] = summarizer_for(runtime.settings)
    return summarizer


async def fold_job(context: JobContext, conversation_id: str, activity_at: str | None = None) -> int:
    """Job: fold one conversation; return how many turns were folded."""
    attempt = context.job.attempts if context.job else 0
    report = await run_fold(runtime_of(context), UUID(conversation_id),
                            datetime.fromisoformat(activity_at) if activity_at else None,
                            last_attempt=attempt + 1 >= FOLD_ATTEMPTS)
    return report.turns


async def run_fold(runtime: Runtime, conversation_id: UUID, activity_at: datetime | None = None,
                   *, last_attempt: bool = True) -> FoldReport:
    """The fold job's body. A summarizer failure raises (the job is retried) until the last
    attempt, which folds by extraction instead."""
    report = await fold_conversation(runtime.store, summarizer_of(runtime), conversation_id,
                                     fallback=last_attempt)
    if activity_at is not None:
        await runtime.store.memory.mark_seen(conversation_id, activity_at)
    return report


async def defer_fold(app: procrastinate.App, conversation_id: UUID,
                     activity_at: datetime | None = None) -> bool:
    """Queue a fold of the conversation unless one is already waiting. True if queued."""
    deferrer = app.configure_task(FOLD_TASK, lock=f"fold:{conversation_id}",
                                  queueing_lock=f"fold:{conversation_id}")
    try:
        await deferrer.defer_async(conversation_id=str(conversation_id),
                                   activity_at=activity_at.isoformat() if activity_at else None)
    except AlreadyEnqueued:
        return False
    return True


async def sweep(runtime: Runtime, app: procrastinate.App) -> int:
    """Queue a fold for each conversation with unseen activity that is ready for one (see
    ``conversations_to_fold``); return how many were queued."""
    s = runtime.settings
    queued = 0
    for conversation_id, activity_at in await runtime.store.memory.conversations_to_fold(
            quiet_seconds=s.memory_fold_quiet_seconds,
            max_lag_seconds=s.memory_fold_max_lag_seconds):
        queued += await defer_fold(app, conversation_id, activity_at)
    if queued:
        log.info("queued %d conversation fold(s)", queued)
    return queued
