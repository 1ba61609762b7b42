"""Retention: a daily durable job (procrastinate periodic) that deletes what is kept too long.

- Participants whose current cohort ended more than its ``retention_days`` ago are erased like
  an admin's deletion (``erasure``), each in its own transaction with a ``retention.delete``
  audit row (a system action: no actor). Staff (admins, cohort mentors) are never erased here.
- Sign-in codes a day past their expiry, rate-limit events older than their longest window,
  sessions revoked or expired more than ``SESSION_GRACE`` ago, and expired usage holds.

``run_retention`` takes the clock as an argument, so a test runs it with a frozen one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from procrastinate import Blueprint, JobContext

from ignacio_agents.blobs import BlobStore
from ignacio_agents.erasure import erase_blobs, erase_rows
from ignacio_agents.jobs import runtime_of
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store

log = logging.getLogger(__name__)

OTP_GRACE = timedelta(days=1)
SESSION_GRACE = timedelta(days=30)

_EXPIRED = """
select u.id from users u
join cohort_members m on m.user_id = u.id and m.left_at is null
join cohorts c on c.id = m.cohort_id
where c.ends_on + c.retention_days < %s::date
  and not u.is_admin
  and not exists (select 1 from cohort_mentors t where t.user_id = u.id)
order by u.id
"""


@dataclass
class RetentionReport:
    participants: list[UUID] = field(default_factory=list)
    otp_codes: int = 0
    rate_limit_events: int = 0
    sessions: int = 0
    usage_holds: int = 0


async def run_retention(store: Store, blobs: BlobStore, settings: Settings, *,
                        now: datetime) -> RetentionReport:
    report = RetentionReport()
    for user_id in await store.db.fetch_all(lambda r: r["id"], _EXPIRED, now.date()):
        async with store.db.transaction() as tx:
            user = await store.users.get(user_id, for_update=True, conn=tx)
            if user is None:
                continue
            keys = await erase_rows(store, user, conn=tx)
            await store.audit.record(
                actor_id=None, action="retention.delete", target_type="user", target_id=user_id,
                client_ip="system", details={"system": True, "files_deleted": len(keys)}, conn=tx,
            )
        await erase_blobs(blobs, user_id, keys)
        report.participants.append(user_id)
    window = timedelta(seconds=max(settings.otp_rate_limit_window_seconds, 24 * 3600))
    report.otp_codes = await store.db.execute(
        "delete from otp_codes where expires_at < %s", now - OTP_GRACE)
    report.rate_limit_events = await store.db.execute(
        "delete from rate_limit_events where created_at < %s", now - window)
    report.sessions = await store.db.execute(
        "delete from user_sessions where revoked_at < %s or expires_at < %s",
        now - SESSION_GRACE, now - SESSION_GRACE)
    report.usage_holds = await store.db.execute(
        "delete from usage_holds where expires_at < %s", now)
    if report.participants or report.otp_codes or report.sessions:
        log.info("retention: %d participant(s), %d code(s), %d rate-limit event(s), %d session(s)",
                 len(report.participants), report.otp_codes, report.rate_limit_events,
                 report.sessions)
    return report


def retention_jobs() -> Blueprint:
    """The ``retention`` blueprint (daily at 03:17 UTC), fresh per job app."""
    bp = Blueprint()
    bp.ignacio_namespace = "retention"  # type: ignore[attr-defined]

    @bp.periodic(cron="17 3 * * *", periodic_id="retention-daily")
    @bp.task(name="retention_daily", pass_context=True, queueing_lock="retention-daily")
    async def retention_daily(context: JobContext, timestamp: int) -> int:
        runtime = runtime_of(context)
        report = await run_retention(runtime.store, runtime.blobs, runtime.settings,
                                     now=datetime.fromtimestamp(timestamp, UTC))
        return len(report.participants)

    return bp
