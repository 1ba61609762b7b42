"""How fast the WhatsApp webhook acknowledges Meta, against a baseline measured in the same run.

The real app is served by uvicorn on 127.0.0.1, in its own process (the client does not share
its interpreter), over an embedded PostgreSQL in a fresh temp dir with one enrolled participant.
The client sends a few hundred signed text webhooks (each a new message: signature check, parse,
user lookup, conversation, insert, job defer) interleaved with ``GET /health`` (one database
round trip: the floor any endpoint pays), and reports p50/p90/p99 of both and their ratio.
Bodies are signed before timing starts; the job worker is off, so only the acknowledgement is
measured (Meta's guidance for webhook endpoints: median <= 250 ms, < 1 % over 1 s). Each sender
is one keep-alive connection on raw asyncio streams (``bench.http_load``): httpx cost more CPU
per request than the app, which on two cores made the client the bottleneck. The app's,
PostgreSQL's and the client's CPU per webhook + ``GET /health`` are printed too: unlike
latency, they barely move with the machine's other load.

    .venv/bin/python -m bench.webhook_latency                 # 300 of each, one at a time
    .venv/bin/python -m bench.webhook_latency -n 500 -c 8     # 8 concurrent senders
    .venv/bin/python -m bench.webhook_latency --json reports/webhook_latency.json
    .venv/bin/python -m bench.webhook_latency -n 50 --batch 1000   # + one 1,000-message delivery

``--batch N`` also times the acknowledgement of whole deliveries of N messages from
``BATCH_SENDERS`` enrolled participants (Meta batches a busy number's messages and resends the
whole delivery when it is not acknowledged in time), three times, against the same baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.burst import cpu_seconds, postgres_processes, spent  # noqa: E402
from bench.http_load import exchange, post_bytes, request_bytes  # noqa: E402
from bench.measure import free_port, percentile, process_cpu_seconds  # noqa: E402
from tests.fakes.graph import signed_webhook, text_item, text_webhook, webhook_payload  # noqa: E402

APP_SECRET = "bench-app-secret"  # noqa: S105 - a throwaway secret for a throwaway app
WA_ID = "34612345678"
BATCH_SENDERS = 100


def _sender(index: int) -> str:
    return f"34613{index:06d}"


def _summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 3),
        "p90_ms": round(percentile(samples_ms, 90), 3),
        "p99_ms": round(percentile(samples_ms, 99), 3),
        "max_ms": round(max(samples_ms), 3),
        "mean_ms": round(statistics.fmean(samples_ms), 3),
    }


def _settings(data_dir: Path, conninfo: str) -> Any:
    from ignacio_agents.settings import load_settings

    return load_settings(
        data_dir=data_dir, database_url=conninfo, ignacio_env="development",
        pydantic_ai_model="test", openai_api_key=None, run_worker_in_process=False,
        log_level="WARNING",
    )


def serve(data_dir: Path, conninfo: str, port: int) -> None:
    """The server process: seed one participant, then serve the app until terminated."""
    from api.app import create_app
    from ignacio_agents.runtime import open_runtime

    settings = _settings(data_dir, conninfo)

    async def seed() -> None:
        async with open_runtime(settings) as runtime:
            await runtime.store.users.create("+" + WA_ID, "Bench Participant")
            for i in range(BATCH_SENDERS):
                await runtime.store.users.create("+" + _sender(i), f"Batch Participant {i}")

    asyncio.run(seed())
    from api.server import Server
    from channels.web.channel import WebChannel
    from channels.whatsapp.channel import WhatsAppChannel
    from channels.whatsapp.settings import WhatsAppSettings

    channels = [WebChannel(), WhatsAppChannel(WhatsAppSettings(_env_file=None,  # type: ignore[call-arg]
                                                               app_secret=APP_SECRET))]
    # The server ``ignacio serve`` runs.
    Server(uvicorn.Config(create_app(settings, run_worker=False, channels=channels),
                          host="127.0.0.1", port=port, log_level="warning",
                          access_log=False)).run()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the app process exited during start-up")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the app did not start within 120 s")


async def _measure(base_url: str, count: int, concurrency: int, server_pid: int,
                   pgdata: Path) -> dict[str, Any]:
    """Each sender is one keep-alive connection (``bench.http_load``: precomputed request
    bytes, one request in flight), so the client's own CPU does not crowd out the server's on
    a small machine: with httpx the generator spent more CPU per request than the app."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    posts = [post_bytes(host, port, "/webhooks/whatsapp", *signed_webhook(
        text_webhook(f"mensaje de prueba {i}", wa_id=WA_ID), APP_SECRET))
        for i in range(count + 20)]
    health = request_bytes(host, port, "/health", {})
    webhook_ms: list[float] = []
    health_ms: list[float] = []

    async def one(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes,
                  what: str) -> float:
        start = time.perf_counter()
        status, body, _ = await exchange(*conn, request)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"{what} answered {status}: {body[:500]!r}")
        return elapsed

    first = await asyncio.open_connection(host, port)
    for i in range(20):  # warm-up: connections, pools, first-call imports
        await one(first, posts[count + i], "webhook")
        await one(first, health, "/health")
    first[1].close()

    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def sender() -> None:
        # Interleaved, so both series see the same machine load and database state.
        conn = await asyncio.open_connection(host, port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                webhook_ms.append(await one(conn, posts[i], "webhook"))
                health_ms.append(await one(conn, health, "/health"))
        finally:
            conn[1].close()

    # CPU, unlike wall-clock time, is not inflated by the machine's other load.
    app_cpu, pg_cpu = process_cpu_seconds(server_pid), cpu_seconds(postgres_processes(pgdata))
    client_cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*[sender() for _ in range(concurrency)])
    wall, client_cpu = time.perf_counter() - started, time.process_time() - client_cpu
    app_cpu = process_cpu_seconds(server_pid) - app_cpu
    db_cpu = spent(pg_cpu, cpu_seconds(postgres_processes(pgdata)))  # and backends opened since
    webhook, baseline = _summary(webhook_ms), _summary(health_ms)
    return {
        "count": count, "concurrency": concurrency,
        "webhook": webhook, "baseline_get_health": baseline,
        "ratio_p50": round(webhook["p50_ms"] / baseline["p50_ms"], 2),
        "ratio_p99": round(webhook["p99_ms"] / baseline["p99_ms"], 2),
        "webhooks_per_second": round(count / wall, 1),
        # per webhook and its interleaved GET /health
        "server_cpu_ms_per_pair": round(app_cpu * 1000 / count, 3),
        "db_cpu_ms_per_pair": round(db_cpu * 1000 / count, 3),
        "client_cpu_ms_per_pair": round(client_cpu * 1000 / count, 3),
    }


async def _measure_batches(base_url: str, size: int, rounds: int = 3) -> dict[str, Any]:
    """Seconds to acknowledge whole deliveries of ``size`` messages."""
    bodies = [signed_webhook(webhook_payload([
        text_item(f"lote {r} mensaje {i}", wa_id=_sender(i % BATCH_SENDERS))
        for i in range(size)]), APP_SECRET) for r in range(rounds)]
    seconds: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        for body, headers in bodies:
            start = time.perf_counter()
            response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
            seconds.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"batch answered {response.status_code}: {response.text}")
    return {"size": size, "rounds": rounds, "body_bytes": len(bodies[0][0]),
            "ack_seconds": [round(x, 3) for x in seconds],
            "ack_seconds_median": round(statistics.median(seconds), 3)}


async def _count_stored(conninfo: str) -> int:
    """How many inbound messages were stored (every webhook must have been)."""
    from ignacio_agents.db import Database

    db = await Database.open(conninfo, min_size=1, max_size=1)
    try:
        async with db.connection() as conn:
            cur = await conn.execute("select count(*) as n from messages where is_from_user")
            row = await cur.fetchone()
        return int(row["n"]) if row else 0
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=300, help="webhooks to time")
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="concurrent senders")
    parser.add_argument("--batch", type=int, default=0,
                        help="also time 3 deliveries of this many messages each")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    parser.add_argument("--serve", nargs=3, metavar=("DATA_DIR", "CONNINFO", "PORT"),
                        help=argparse.SUPPRESS)  # internal: the server process
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.serve[0]), args.serve[1], int(args.serve[2]))
        return 0

    from ignacio_agents.db import embedded_conninfo

    data_dir = Path(tempfile.mkdtemp(prefix="ignacio-bench-"))
    # Registered before the embedded server starts, so it runs after the server's own atexit
    # stop (last in, first out): a live pgdata is never deleted.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    conninfo, _server = embedded_conninfo(data_dir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = subprocess.Popen(
        [sys.executable, "-m", "bench.webhook_latency", "--serve", str(data_dir), conninfo,
         str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        _wait_until_up(base_url, app)
        result = asyncio.run(_measure(base_url, args.count, args.concurrency, app.pid,
                                      data_dir / "pgdata"))
        if args.batch:
            result["batch"] = asyncio.run(_measure_batches(base_url, args.batch))
        stored = asyncio.run(_count_stored(conninfo))
    finally:
        app.terminate()
        app.wait(timeout=30)
    expected = args.count + 20 + 3 * args.batch  # the warm-up webhooks are stored too
    if stored != expected:
        print(f"error: {stored} messages stored, expected {expected}", file=sys.stderr)
        return 1
    result["stored_messages"] = stored
    text = json.dumps(result, indent=2)
    print(text)
    w, h = result["webhook"], result["baseline_get_health"]
    print(f"\nwebhook ack p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms | GET /health p50 "
          f"{h['p50_ms']} ms, p99 {h['p99_ms']} ms | ratio p50 x{result['ratio_p50']}, "
          f"p99 x{result['ratio_p99']} ({args.count} each, concurrency {args.concurrency})")
    print(f"CPU per webhook + GET /health: server {result['server_cpu_ms_per_pair']} ms, "
          f"PostgreSQL {result['db_cpu_ms_per_pair']} ms, "
          f"client {result['client_cpu_ms_per_pair']} ms")
    if args.batch:
        b = result["batch"]
        print(f"{b['size']}-message delivery ({b['body_bytes']} bytes) acknowledged in "
              f"{b['ack_seconds_median']} s (median of {b['ack_seconds']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
