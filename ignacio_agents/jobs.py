"""Durable background jobs on the same Postgres (procrastinate).

Tasks live on blueprints next to the code they serve (file extraction here, WhatsApp turns in
``channels/whatsapp``); ``build_job_app`` assembles them. Tasks reach the running services
through the worker's ``additional_context["runtime"]``, so nothing holds connections at import.

To queue a job as part of a unit of work, defer it on that unit's connection:
``app.configure_task(name, ..., connection=tx).defer_async(...)`` inserts the job in the caller's
transaction, so the job exists exactly when what it works on does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import procrastinate
from procrastinate import Blueprint, JobContext
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

STALLED_AFTER_SECONDS = 60

BACKGROUND_PRIORITY = -10
"""Priority of jobs nobody waits for (memory folds, embeddings): a worker takes every queued
job someone waits for (an answer, a file's extraction: priority 0) first, so a cohort's burst
is answered before the minute's folds hold worker slots and CPU."""


def runtime_of(context: JobContext) -> Runtime:
    return cast("Runtime", context.additional_context["runtime"])


# Re-queued only while still held by the worker found dead: another reaper run (the minute's,
# one deferred by hand) may have re-queued it meanwhile and a live worker taken it again, and
# re-queueing that would run the job twice at once (an answer's parts sent twice).
_REQUEUE_IF_STILL_STALLED = (
    "with target as (select id from procrastinate_jobs where id = %(job_id)s"
    " and status = 'doing' and worker_id is not distinct from %(worker_id)s for update)"
    " select id, procrastinate_retry_job_v2(id, now(), null, null, null) from target"
)


async def reap_stalled(app: procrastinate.App, seconds: float = STALLED_AFTER_SECONDS) -> int:
    """Re-queue jobs whose worker died (no heartbeat): they would otherwise block their lock."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    return sum([await requeue_if_still_stalled(app, job) for job in stalled])


async def requeue_if_still_stalled(app: procrastinate.App, job: procrastinate.jobs.Job) -> bool:
    """Re-queue ``job`` (as :func:`reap_stalled` found it) unless it has moved on since."""
    rows = await app.connector.execute_query_all_async(
        _REQUEUE_IF_STILL_STALLED, job_id=job.id, worker_id=job.worker_id)
    if rows:
        log.warning("re-queueing stalled job %s (%s)", job.id, job.task_name)
    return bool(rows)


def core_jobs() -> Blueprint:
    """A fresh blueprint per app: procrastinate renames a blueprint's tasks in place when an
    app adds them, so a shared module-level blueprint would stack namespaces."""
    bp = Blueprint()

    @bp.periodic(cron="* * * * *", periodic_id="reap-stalled")
    @bp.task(name="reap_stalled_jobs", pass_context=True, queueing_lock="reap-stalled")
    async def reap_stalled_jobs(context: JobContext, timestamp: int) -> int:
        return await reap_stalled(context.app)

    return bp


def build_job_app(blueprints: Iterable[Blueprint] = ()) -> procrastinate.App:
    """The job app, not yet open. It has no pool of its own: ``open_runtime`` opens it on the
    process's one pool (``App.open_async(pool=db.pool)``), so jobs and requests share
    connections and a job can be deferred inside the transaction that stores its subject."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector())
    app.add_tasks_from(core_jobs(), namespace="core")
    for bp in blueprints:
        app.add_tasks_from(bp, namespace=bp_namespace(bp))
    return app


def job_row(app: procrastinate.App, task_name: str, *, lock: str | None = None,
            queueing_lock: str | None = None, schedule_in: dict[str, float] | None = None,
            **task_kwargs: Any) -> tuple[Any, ...]:
    """One job exactly as procrastinate's ``defer`` hands it to ``procrastinate_defer_jobs_v1``
    (a ``procrastinate_job_to_defer_v1`` row), for a statement that queues it itself, e.g.
    only for the rows it inserted (``MessageStore.add_many``)."""
    job = app.configure_task(task_name, lock=lock, queueing_lock=queueing_lock,
                             schedule_in=schedule_in).make_new_job(**task_kwargs)
    return (job.queue, job.task_name, job.priority, job.lock, job.queueing_lock,
            Jsonb(job.task_kwargs), job.scheduled_at)


def bp_namespace(bp: Blueprint) -> str:
    return getattr(bp, "ignacio_namespace", "channel")


def worker_options(runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    s = runtime.settings
    opts: dict[str, Any] = {
        "concurrency": s.worker_concurrency,
        "fetch_job_polling_interval": s.job_poll_interval_seconds,
        "abort_job_polling_interval": 5.0,
        "install_signal_handlers": False,
        "additional_context": {"runtime": runtime},
        "delete_jobs": "successful",
        "update_heartbeat_interval": 5.0,
        "stalled_worker_timeout": 30.0,
        "shutdown_graceful_timeout": s.shutdown_grace_seconds,
    }
    opts.update(overrides)
    return opts


class WorkerSupervisor:
    """Keeps a procrastinate worker running across database outages.

    Procrastinate's worker does not survive a lost connection: a failing side task (heartbeat,
    LISTEN) stops it and ``run_worker_async`` returns as if asked to; a failing fetch raises.
    Either way, unless the supervisor itself is cancelled, it starts the worker again after a
    back-off that doubles up to ``max_backoff`` (reset after a run that lasted a while), so
    jobs resume on their own once Postgres is back. ``running`` is what ``/health`` reports.
    """

    def __init__(self, app: procrastinate.App, options: dict[str, Any], *,
                 min_backoff: float = 0.5, max_backoff: float = 15.0) -> None:
        self.app = app
        self.options = options
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.running = False
        self.restarts = 0

    async def run(self) -> None:
        """Run until cancelled (a cancel is the only way to stop it)."""
        delay = self.min_backoff
        while True:
            started = time.monotonic()
            self.running = True
            try:
                await self.app.run_worker_async(**self.options)
                reason = "stopped"
            except Exception as exc:  # CancelledError is a BaseException: it ends the loop
                reason = type(exc).__name__
            finally:
                self.running = False
            if time.monotonic() - started > 4 * self.max_backoff:
                delay = self.min_backoff
            log.warning("job worker ended (%s); starting it again in %.1f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
            self.restarts += 1
