"""One use case, one transaction: store methods composed on one connection, a WhatsApp message
and the job that answers it committed together, the last-admin rule under concurrency, and one
connection pool per process shared with the job queue."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import psycopg
import pytest
from procrastinate.exceptions import ConnectorException
from psycopg_pool import AsyncConnectionPool

from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.filegen import make_pdf
from tests.uploads import blob_files, upload
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    fetch_all,
    post_webhook,
    scalar,
    wait_until,
    whatsapp_settings,
)

_REFUSE_JOBS = """
create function refuse_jobs() returns trigger language plpgsql as $$
begin
  if new.task_name = %s then
    raise exception 'job insert refused by the test';
  end if;
  return new;
end $$;
create trigger refuse_jobs before insert on procrastinate_jobs
  for each row execute function refuse_jobs();
"""


async def _refuse_jobs(client: Any, task_name: str) -> None:
    async with client.runtime.db.connection() as conn:
        await conn.execute(_REFUSE_JOBS.replace("%s", f"'{task_name}'"))


async def _allow_jobs(client: Any) -> None:
    async with client.runtime.db.connection() as conn:
        await conn.execute("drop trigger refuse_jobs on procrastinate_jobs")


@pytest.fixture
async def no_worker_app(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    return await make_client(make_settings(job_poll_interval_seconds=0.1),
                             whatsapp=whatsapp_settings(graph))


# --- the database's unit of work ----------------------------------------------------------------


async def test_store_methods_on_one_transaction_commit_or_roll_back_together(client: Any) -> None:
    store = client.runtime.store
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            user = await store.users.create("+34611000001", "Ana", conn=tx)
            await store.conversations.create(user.id, conn=tx)
            raise RuntimeError("the use case fails after both writes")
    assert await store.users.get_by_phone("+34611000001") is None
    assert await scalar(client, "select count(*) from conversations") == 0

    async with store.db.transaction() as tx:
        user = await store.users.create("+34611000001", "Ana", conn=tx)
        conversation = await store.conversations.latest_or_create(user.id, "web", conn=tx)
        # Joined, not nested: the inner store transaction is the caller's.
        async with store.db.transaction(tx) as inner:
            assert inner is tx
        # Other connections do not see the unit's writes before it commits.
        assert await store.users.get(user.id) is None
    assert (await store.conversations.latest(user.id, "web")).id == conversation.id


async def test_fetch_helpers_build_models_and_values(client: Any) -> None:
    db = client.runtime.db
    user = await client.runtime.store.users.create("+34611000002", "Bea")
    assert await db.fetch_value("select name from users where id = %s", user.id) == "Bea"
    assert await db.fetch_value("select name from users where false") is None
    rows = await db.fetch_all(dict, "select name from users order by name")
    assert rows == [{"name": "Bea"}]
    assert await db.execute("update users set name = %s where id = %s", "Bo", user.id) == 1


# --- WhatsApp: the message and its job, both or neither ---------------------------------------


async def test_inbound_message_and_its_job_commit_together(no_worker_app: Any) -> None:
    app = no_worker_app
    await app.runtime.store.users.create("+" + WA_USER, "Ana")
    payload = text_webhook("¿Cómo fijo mis precios?", wa_id=WA_USER)
    await _refuse_jobs(app, "whatsapp:answer_message")

    refused = await post_webhook(app, payload)
    assert refused.status_code == 503  # Meta delivers it again
    assert refused.json()["error"]["code"] == "unavailable"
    assert await scalar(app, "select count(*) from messages") == 0
    assert await scalar(app, "select count(*) from procrastinate_jobs") == 0

    await _allow_jobs(app)
    retried = await post_webhook(app, payload)  # Meta's retry of the same delivery
    assert retried.status_code == 200
    [message] = await fetch_all(app, "select id from messages")
    [job] = await fetch_all(app, "select args from procrastinate_jobs"
                                 " where task_name = 'whatsapp:answer_message'")
    assert job["args"]["message_id"] == str(message["id"])

    replayed = await post_webhook(app, payload)  # a stored message already has its job
    assert replayed.status_code == 200
    assert await scalar(app, "select count(*) from messages") == 1
    assert await scalar(app, "select count(*) from procrastinate_jobs") == 1


async def test_not_enrolled_reply_keeps_its_daily_slot_when_its_job_fails(no_worker_app: Any) -> None:
    app = no_worker_app
    payload = text_webhook("hola", wa_id=WA_USER)
    await _refuse_jobs(app, "whatsapp:send_not_enrolled")
    assert (await post_webhook(app, payload)).status_code == 503
    assert await scalar(app, "select count(*) from rate_limit_events") == 0

    await _allow_jobs(app)
    assert (await post_webhook(app, payload)).status_code == 200
    assert await scalar(app, "select count(*) from rate_limit_events") == 1
    assert await scalar(app, "select count(*) from procrastinate_jobs"
                             " where task_name = 'whatsapp:send_not_enrolled'") == 1


# --- files: the row and its extraction job, both or neither ---------------------------------


async def test_an_upload_whose_extraction_job_fails_leaves_no_row_and_no_object(
    client: Any, make_user: Any, auth_headers: Any,
) -> None:
    headers = await auth_headers(await make_user())
    await _refuse_jobs(client, "files:extract_file")
    with pytest.raises(ConnectorException) as refused:  # a server error (500)
        await upload(client, headers, "plan.pdf", make_pdf(), "application/pdf")
    assert "job insert refused" in str(refused.value.__cause__)
    assert await scalar(client, "select count(*) from user_files") == 0
    assert blob_files(client.runtime.settings) == []

    await _allow_jobs(client)
    resp = await upload(client, headers, "plan.pdf", make_pdf(), "application/pdf")
    assert resp.status_code == 201
    assert resp.json()["extraction_status"] == "pending"
    assert await scalar(client, "select count(*) from procrastinate_jobs"
                                " where task_name = 'files:extract_file'") == 1


# --- the last-admin rule under concurrency ----------------------------------------------------


async def _waiting_on_locks(conninfo: str) -> int:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cur = await conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and wait_event_type = 'Lock'"
        )
        row = await cur.fetchone()
        return row[0] if row else 0


@pytest.mark.parametrize("change", ["demote", "deactivate", "delete"])
async def test_two_admins_removing_each_other_at_once_leave_one(
    client: Any, make_user: Any, auth_headers: Any, conninfo: str, change: str,
) -> None:
    ada = await make_user("Ada", is_admin=True)
    bea = await make_user("Bea", is_admin=True)
    as_ada, as_bea = await auth_headers(ada), await auth_headers(bea)

    def remove(target: Any, headers: dict[str, str]) -> Any:
        url = f"/users/{target.id}"
        if change == "delete":
            return client.delete(url, headers=headers)
        body = {"is_admin": False} if change == "demote" else {"is_active": False}
        return client.put(url, headers=headers, json=body)

    # Hold the admins' rows so that both requests are inside their transactions, waiting,
    # before either of them decides: the worst interleaving, every time.
    async with await psycopg.AsyncConnection.connect(conninfo) as blocker:
        async with blocker.transaction():
            await blocker.execute("select id from users where is_admin for update")
            requests = [asyncio.ensure_future(remove(bea, as_ada)),
                        asyncio.ensure_future(remove(ada, as_bea))]

            async def both_waiting() -> bool:
                return await _waiting_on_locks(conninfo) >= 2

            await wait_until(both_waiting, what="both requests waiting on the admin rows")
        responses = await asyncio.gather(*requests)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200 if change != "delete" else 204, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["error"]["code"] == "last_admin"
    assert await scalar(client, "select count(*) from users where is_admin and is_active") == 1
    actions = await fetch_all(client, "select action from audit_log")
    assert len(actions) == 1  # the refused change left no trace


# --- one pool ---------------------------------------------------------------------------------


async def test_one_connection_pool_per_process_shared_with_the_job_worker(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
) -> None:
    app = await make_client(make_settings(**WORKER),  # worker in process
                            whatsapp=whatsapp_settings(graph))
    runtime = app.runtime
    await runtime.store.users.create("+" + WA_USER, "Ana")
    assert (await post_webhook(app, text_webhook("hola", wa_id=WA_USER))).status_code == 200

    async def answered() -> bool:
        return await scalar(app, "select count(*) from messages where not is_from_user") == 1

    await wait_until(answered, timeout=15, what="the worker answered on the shared pool")
    # With the worker in the process the start-up heap is not frozen (api.app): freezing cost
    # the worker's turns CPU. (gc.get_objects() would leave frozen objects out.)
    assert gc.get_freeze_count() == 0
    gc.collect()
    open_pools = [p for p in gc.get_objects()  # on this test's database, open
                  if isinstance(p, AsyncConnectionPool) and not p.closed
                  and p.conninfo == runtime.conninfo]
    assert open_pools == [runtime.db.pool]
    assert runtime.jobs.connector.pool is runtime.db.pool
