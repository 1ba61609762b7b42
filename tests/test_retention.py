"""Retention, run with a frozen clock: exactly the expired cohort's participants are erased
(staff never), plus old sign-in codes, rate-limit events, ended sessions and expired holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ignacio_agents.crypto import new_token
from ignacio_agents.retention import retention_jobs, run_retention

FROZEN = datetime(2027, 6, 15, 3, 17, tzinfo=UTC)


async def test_retention_erases_exactly_the_expired_cohorts_participants(client, make_user):
    rt = client.runtime
    store = rt.store
    # Ended 2027-01-31, kept 30 days: expired on 2027-03-02.
    old = await store.cohorts.create(name="Old", starts_on=date(2026, 9, 1),
                                     ends_on=date(2027, 1, 31), retention_days=30)
    # Ended 2027-05-31, kept 30 days: still kept on the frozen day.
    recent = await store.cohorts.create(name="Recent", starts_on=date(2027, 2, 1),
                                        ends_on=date(2027, 5, 31), retention_days=30)
    gone1, gone2 = await make_user("Ana"), await make_user("Ben")
    kept = await make_user("Carla")
    moved = await make_user("Dani")  # was in the old cohort, now in the recent one
    no_cohort = await make_user("Eva")
    mentor = await make_user("Marta")
    await store.cohorts.add_members(old.id, [gone1.id, gone2.id, moved.id, mentor.id])
    await store.cohorts.add_members(recent.id, [kept.id, moved.id])
    await store.cohorts.add_mentor(old.id, mentor.id)
    conv = await store.conversations.create(gone1.id, "web", "Hola")

    # Old sign-in codes, rate-limit rows and sessions go; fresh ones stay.
    async with store.db.connection() as conn:
        await conn.execute(
            "insert into otp_codes (phone_hmac, code_hash, expires_at) values"
            " ('\\x01', '\\x01', %s), ('\\x02', '\\x02', %s)",
            (FROZEN - timedelta(days=3), FROZEN + timedelta(minutes=5)))
        await conn.execute(
            "insert into rate_limit_events (bucket, key_hash, created_at) values"
            " ('otp', '\\x01', %s), ('otp', '\\x02', %s)",
            (FROZEN - timedelta(days=2), FROZEN - timedelta(minutes=1)))
    revoked = await store.sessions.create(kept.id, new_token(), timedelta(days=60))
    live = await store.sessions.create(kept.id, new_token(), timedelta(days=400))
    await store.db.execute("update user_sessions set revoked_at = %s where id = %s",
                           FROZEN - timedelta(days=31), revoked.id)

    report = await run_retention(store, rt.blobs, rt.settings, now=FROZEN)

    assert sorted(report.participants) == sorted([gone1.id, gone2.id])
    remaining = await store.db.fetch_all(lambda r: r["name"], "select name from users order by name")
    assert remaining == ["Carla", "Dani", "Eva", "Marta"]
    assert await store.conversations.get(conv.id) is None
    assert no_cohort.id and await store.cohorts.current_for(moved.id) is not None
    assert (report.otp_codes, report.rate_limit_events, report.sessions) == (1, 1, 1)
    sessions = await store.db.fetch_all(lambda r: r["id"], "select id from user_sessions")
    assert sessions == [live.id]
    audit = await store.db.fetch_all(
        dict, "select actor_id, action, target_id from audit_log where action = 'retention.delete'")
    assert sorted(a["target_id"] for a in audit) == sorted([str(gone1.id), str(gone2.id)])
    assert all(a["actor_id"] is None for a in audit)

    # Running again finds nothing more.
    again = await run_retention(store, rt.blobs, rt.settings, now=FROZEN)
    assert again.participants == []


def test_retention_is_a_daily_periodic_job():
    [periodic] = retention_jobs().periodic_registry.periodic_tasks.values()
    assert (periodic.task.name, periodic.cron) == ("retention_daily", "17 3 * * *")
