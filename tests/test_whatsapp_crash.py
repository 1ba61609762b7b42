"""Crash safety of WhatsApp answers: a worker that dies holding a job leaves it ``doing`` (and its
conversation lock taken) until the stalled-job reaper re-queues it; the next worker must then
send the reply exactly once, without running the model again when the answer is already stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from procrastinate.exceptions import AlreadyEnqueued

from channels.whatsapp.render import whatsapp_parts
from channels.whatsapp.settings import WhatsAppSettings
from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.jobs import worker_options
from ignacio_agents.responses import GeneralResponse
from ignacio_agents.store.messages import NewMessage
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.whatsapp_harness import (
    APP_SECRET,
    WA_USER,
    StallingServer,
    advisor_model,
    fetch_all,
    post_webhook,
    scalar,
    sent_texts,
    text_attempts,
    use_model,
    wait_for_idle_queue,
    wait_until,
    whatsapp_settings,
)

ROOT = Path(__file__).resolve().parents[1]
# ``ignacio worker``, run as a module so it works whether or not the package is installed.
WORKER_COMMAND = [sys.executable, "-m", "api.cli", "worker"]


@pytest.fixture
def graph() -> Iterator[FakeGraphServer]:
    with FakeGraphServer() as server:
        yield server


async def _answer_job(app: Any) -> dict[str, Any]:
    [job] = await fetch_all(app, "select id, status, worker_id from procrastinate_jobs"
                            " where task_name = 'whatsapp:answer_message'")
    return job


async def _declare_dead(app: Any, worker_id: int) -> None:
    """What a dead worker looks like a minute later: no heartbeat."""
    async with app.runtime.db.connection() as conn:
        await conn.execute("update procrastinate_workers set last_heartbeat = now() - interval"
                           " '1 hour' where id = %s", (worker_id,))


@contextlib.asynccontextmanager
async def worker_on(app: Any) -> AsyncIterator[None]:
    """A job worker on ``app``'s runtime, as ``ignacio serve`` runs it, stopped on exit."""
    runtime = app.runtime
    task = asyncio.create_task(runtime.jobs.run_worker_async(**worker_options(runtime)))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


async def _run_reaper(app: Any) -> None:
    """Run the stalled-job reaper now rather than at its next minute."""
    jobs = app.runtime.jobs
    name = next(n for n in jobs.tasks if n.endswith("reap_stalled_jobs"))
    with contextlib.suppress(AlreadyEnqueued):  # the periodic deferrer may have got there first
        await jobs.configure_task(name).defer_async(timestamp=int(time.time()))


def _worker_env(settings: Any, graph: FakeGraphServer, model_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IGNACIO_", "WHATSAPP_", "OPENAI_", "PYDANTIC_AI_", "DATABASE_"))}
    env.update({
        "DATABASE_URL": settings.database_url,
        "IGNACIO_DATA_DIR": str(settings.data_dir),  # the same generated keys and blob root
        "IGNACIO_LOG_LEVEL": "WARNING",
        "JOB_POLL_INTERVAL_SECONDS": "0.1",
        "CONSENT_NOTICE_ENABLED": "false",  # as in the in-process fixture: only the answer counts
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "PYDANTIC_AI_MODEL": "openai-chat:stalling-model",
        "OPENAI_BASE_URL": model_url,
        "MODEL_ATTEMPTS": "1",
        "PYTHONPATH": str(ROOT),
        **{"WHATSAPP_" + k.upper(): v for k, v in graph.settings_overrides().items()},
    })
    return env


async def _waiting_on_model(model: StallingServer, worker: subprocess.Popen[bytes]) -> bool:
    return model.requested.is_set() or worker.poll() is not None


async def test_worker_killed_mid_turn_then_the_next_worker_replies_once(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, tmp_path: Path,
):
    settings = make_settings(job_poll_interval_seconds=0.1)
    model = StallingServer()
    log = (tmp_path / "worker.log").open("wb")
    # Started first: the worker process boots while the app under test starts.
    worker = subprocess.Popen(WORKER_COMMAND, cwd=tmp_path, stdout=log, stderr=log,
                              env=_worker_env(settings, graph, model.base_url))
    try:
        app = await make_client(settings, whatsapp=whatsapp_settings(graph))
        await app.runtime.store.users.create("+" + WA_USER, "Ana")
        payload = text_webhook("¿Cómo calculo mi punto de equilibrio?", wa_id=WA_USER)
        wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        assert (await post_webhook(app, payload)).status_code == 200
        # The subprocess took the job, marked the message read and is waiting on the model.
        await wait_until(lambda: _waiting_on_model(model, worker), timeout=60,
                         what="the worker to reach the model")
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        job = await _answer_job(app)
        assert job["status"] == "doing" and job["worker_id"] is not None
        worker.send_signal(signal.SIGKILL)
        await asyncio.to_thread(worker.wait, 10)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        model.close()
    assert len(graph.read_receipts()) == 1
    assert sent_texts(graph) == []
    assert (await _answer_job(app))["status"] == "doing"  # held by a dead worker

    await _declare_dead(app, job["worker_id"])
    async with worker_on(app):
        await _run_reaper(app)
        [reply] = await graph.wait_for_messages_async(1, timeout=15)
        await wait_for_idle_queue(app)

    assert len(sent_texts(graph)) == 1 and len(text_attempts(graph)) == 1
    assert reply["to"] == "+" + WA_USER
    assert reply["context"] == {"message_id": wamid}
    assert await scalar(app, "select count(*) from messages where not is_from_user") == 1


async def test_resumed_job_sends_only_unsent_parts_without_running_the_model(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    """The state a worker leaves when it dies after storing the answer and sending part 1."""
    app = await make_client(make_settings(job_poll_interval_seconds=0.1),
                            whatsapp=whatsapp_settings(graph))
    store = app.runtime.store
    user = await store.users.create("+" + WA_USER, "Ana")
    payload = text_webhook("Hazme un plan completo", wa_id=WA_USER)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await post_webhook(app, payload)
    inbound = await store.messages.get_by_external_id(wamid)
    long_text = "\n\n".join(f"Paso {i}: " + "detalle " * 80 for i in range(20))
    answer = GeneralResponse(message=long_text, follow_up_questions=[], language="es")
    reply = await store.messages.add(NewMessage(
        conversation_id=inbound.conversation_id, user_id=user.id, is_from_user=False,
        content=answer.to_markdown(), channel="whatsapp", answer=answer.model_dump(mode="json"),
        status=DeliveryStatus.pending, reply_to_id=inbound.id,
    ))
    parts = whatsapp_parts(reply, first_part_chars=WhatsAppSettings().first_part_chars)
    assert len(parts) >= 3
    await store.messages.add_delivery(reply.id, 0, external_id="wamid.SENT-BEFORE-CRASH",
                                      status=DeliveryStatus.sent)
    async with app.runtime.db.connection() as conn:
        cur = await conn.execute("insert into procrastinate_workers (last_heartbeat)"
                                 " values (now() - interval '1 hour') returning id")
        dead = (await cur.fetchone())["id"]
        await conn.execute("update procrastinate_jobs set status = 'doing', worker_id = %s,"
                           " attempts = 0 where task_name = 'whatsapp:answer_message'", (dead,))

    calls: list[str] = []
    use_model(app, advisor_model(lambda text: calls.append(text) or "otra respuesta"))
    async with worker_on(app):
        await _run_reaper(app)
        await graph.wait_for_messages_async(len(parts) - 1, timeout=15)
        await wait_for_idle_queue(app)

    assert [m["text"]["body"] for m in sent_texts(graph)] == parts[1:]
    assert all("context" not in m for m in sent_texts(graph))  # part 1 carried it, earlier
    assert calls == []  # the stored answer was sent; the model did not run again
    deliveries = await store.messages.deliveries(reply.id)
    assert [d.part_index for d in deliveries] == list(range(len(parts)))
    assert deliveries[0].external_id == "wamid.SENT-BEFORE-CRASH"
    assert await scalar(app, "select count(*) from messages where not is_from_user") == 1
    assert (await store.messages.get(reply.id)).status is DeliveryStatus.sent


async def test_a_job_taken_again_since_the_reaper_looked_is_not_requeued(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    """Two reaper runs at once (the minute's and one deferred by hand) see the same stalled job;
    the first re-queues it and a live worker takes it; the second must leave it running, or the
    job runs twice at once and the participant gets its answer twice."""
    from ignacio_agents.jobs import requeue_if_still_stalled

    app = await make_client(make_settings(), whatsapp=whatsapp_settings(graph))
    await app.runtime.store.users.create("+" + WA_USER, "Ana")
    await post_webhook(app, text_webhook("hola", wa_id=WA_USER))
    async with app.runtime.db.connection() as conn:
        async def worker(heartbeat: str) -> int:
            cur = await conn.execute("insert into procrastinate_workers (last_heartbeat)"
                                     f" values (now() - interval '{heartbeat}') returning id")
            return (await cur.fetchone())["id"]

        dead, alive = await worker("1 hour"), await worker("0 seconds")
        await conn.execute("update procrastinate_jobs set status = 'doing', worker_id = %s"
                           " where task_name = 'whatsapp:answer_message'", (dead,))
    manager = app.runtime.jobs.job_manager
    [seen] = [j for j in await manager.get_stalled_jobs(seconds_since_heartbeat=60)
              if j.task_name == "whatsapp:answer_message"]

    async with app.runtime.db.connection() as conn:  # re-queued by the other run, taken again
        await conn.execute("update procrastinate_jobs set worker_id = %s where id = %s",
                           (alive, seen.id))
    assert await requeue_if_still_stalled(app.runtime.jobs, seen) is False
    assert (await scalar(app, "select status::text from procrastinate_jobs where id = %s",
                         seen.id)) == "doing"

    async with app.runtime.db.connection() as conn:  # still held by the dead worker
        await conn.execute("update procrastinate_jobs set worker_id = %s where id = %s",
                           (dead, seen.id))
    assert await requeue_if_still_stalled(app.runtime.jobs, seen) is True
    assert (await scalar(app, "select status::text from procrastinate_jobs where id = %s",
                         seen.id)) == "todo"
