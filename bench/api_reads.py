"""API reads against a bare handler doing the same work, on a seeded database, in one run.

Two servers on 127.0.0.1, each in its own process, on the same database (``bench.seed``):
Ignacio (``api.app.create_app``, as deployed: every middleware, dependency and response model)
and a bare Starlette app with the same pool size that runs the **same SQL** through the same
store calls (the one-query session check and user read, the admin search's audit row and best
matches), the same JWT decode, and serialises the same response models.
A load generator in a third process (``bench.http_load``: keep-alive HTTP/1.1 on raw asyncio
streams, a small fraction of the servers' CPU per request, where httpx cost more than they did)
keeps ``-c`` requests in flight to one server at a time for ``--seconds`` per read, alternating
Ignacio and bare, ``--runs`` times; the medians are reported as p50/p99, throughput and each
server's CPU per request (from ``/proc``, steadier than latency on a shared machine), and as
ratios (Ignacio / bare: p99 ratio ≤ 1.5 and throughput ratio ≥ 0.67 is the goal). The reads:
``GET /users/me``, ``GET /conversations``, ``GET /conversations/{id}/messages`` (first page of
a 100-message conversation), and admin search for a common word (``GET
/admin/conversations?q=``).

    .venv/bin/python -m bench.api_reads                       # 1.1 M messages, 50 clients
    .venv/bin/python -m bench.api_reads --users 50 --seconds 3 --runs 1   # the short version
    .venv/bin/python -m bench.api_reads --json reports/api_reads.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_load import run, run_load  # noqa: E402
from bench.measure import free_port, process_cpu_seconds  # noqa: E402
from bench.seed import COMMON, Shape, embedded, seed  # noqa: E402

JWT_SECRET = "bench-jwt-secret-bench-jwt-secret-bench"  # noqa: S105 - a throwaway app's secret


def _settings(conninfo: str, data_dir: Path) -> Any:
    from ignacio_agents.settings import load_settings

    return load_settings(database_url=conninfo, data_dir=data_dir, pydantic_ai_model="test",
                         openai_api_key=None, run_worker_in_process=False, log_level="WARNING",
                         jwt_secret_key=JWT_SECRET)


def bare_app(settings: Any) -> Any:
    """Starlette, one pool, the same store calls and response models, nothing else."""
    from contextlib import asynccontextmanager
    from uuid import UUID

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from api.heap import serving_heap
    from api.routers.admin import _page
    from api.routers.conversations import MessagePage
    from api.schemas import message_model, user_out
    from api.tokens import decode_access_token
    from ignacio_agents.db import Database
    from ignacio_agents.runtime import phone_cipher
    from ignacio_agents.store import Store
    from ignacio_agents.store.profiles import ProjectProfile

    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        db = await Database.open(settings.database_url, min_size=settings.db_pool_min_size,
                                 max_size=settings.db_pool_max_size)
        state["store"] = Store(db, phone_cipher(settings))
        with serving_heap():  # the same process setting as Ignacio's lifespan (api.app)
            yield
        await db.close()

    async def signed_in(request: Request) -> Any:
        claims = decode_access_token(settings, request.headers["authorization"][7:])
        found = await state["store"].users.signed_in(claims.sid, claims.sub)
        assert found is not None and found.user.is_active
        return found

    def json_response(model: Any) -> Response:
        return Response(model.model_dump_json(), media_type="application/json")

    async def me(request: Request) -> Response:
        found = await signed_in(request)
        profile = ProjectProfile.model_validate(found.profile or {})
        return json_response(user_out(found.user, profile))

    async def conversations(request: Request) -> Response:
        user = (await signed_in(request)).user
        return json_response(await state["store"].conversations.list_for_user(user.id, limit=50))

    async def messages(request: Request) -> Response:
        user = (await signed_in(request)).user
        store = state["store"]
        conversation_id = UUID(request.path_params["conversation_id"])
        page = await store.messages.page(conversation_id, owner_id=user.id, limit=50)
        return json_response(MessagePage(items=[message_model(m) for m in page.items],
                                         next_cursor=page.next_cursor))

    async def admin_search(request: Request) -> Response:
        user = (await signed_in(request)).user
        assert user.is_admin
        store = state["store"]
        q = request.query_params["q"]
        async with store.db.connection() as conn:  # as the route: one connection for all
            page = await store.conversations.search(q=q, limit=50, conn=conn)
            await store.audit.record(actor_id=user.id, action="conversation.search",
                                     target_type="conversation", client_ip="127.0.0.1",
                                     details={"q": q, "user_id": None, "cohort_id": None,
                                              "found": len(page.items)}, conn=conn)
            matches = await store.messages.best_matches([c.id for c in page.items], q,
                                                        conn=conn)
        return json_response(_page(page, matches))

    return Starlette(lifespan=lifespan, routes=[
        Route("/users/me", me), Route("/conversations", conversations),
        Route("/conversations/{conversation_id}/messages", messages),
        Route("/admin/conversations", admin_search),
        Route("/health", lambda _r: Response("ok")),
    ])


def serve(kind: str, conninfo: str, data_dir: Path, port: int) -> None:
    import uvicorn

    settings = _settings(conninfo, data_dir)
    if kind == "bare":
        app = bare_app(settings)
    else:
        from api.app import create_app

        app = create_app(settings, run_worker=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _tokens(conninfo: str, data_dir: Path) -> dict[str, Any]:
    """A participant with ten 100-message conversations and an admin, signed in."""
    from api.tokens import issue_access_token
    from ignacio_agents.db import Database
    from ignacio_agents.runtime import phone_cipher
    from ignacio_agents.store import Store

    settings = _settings(conninfo, data_dir)
    db = await Database.open(conninfo, min_size=1, max_size=2)
    try:
        store = Store(db, phone_cipher(settings))
        participant = await db.fetch_value(
            "select user_id from conversations group by user_id order by count(*), user_id limit 1")
        conversation = await db.fetch_value(
            "select id from conversations where user_id = %s order by updated_at desc limit 1",
            participant)
        admin = await db.fetch_value(  # the heavy participant, promoted
            "update users set is_admin = true where id = (select user_id from conversations"
            " group by user_id order by count(*) desc, user_id limit 1) returning id")
        out: dict[str, Any] = {"conversation": str(conversation)}
        for role, user_id, is_admin in (("participant", participant, False), ("admin", admin, True)):
            session = await store.sessions.create(user_id, os.urandom(16).hex(), timedelta(days=1))
            out[role] = issue_access_token(settings, user_id, session.id, is_admin)
        return out
    finally:
        await db.close()


async def load(base_url: str, path: str, token: str, concurrency: int, seconds: float,
               server_pid: int | None = None,
               backends: Callable[[], dict[int, float]] | None = None) -> dict[str, float]:
    """``concurrency`` requests in flight for ``seconds`` (after a short warm-up), and the
    server's CPU and its database backends' CPU per answered request over the same window
    (both include the few warm-up requests)."""
    cpu_before = process_cpu_seconds(server_pid) if server_pid else 0.0
    db_before = backends() if backends else {}
    result = await run_load(base_url, path, {"authorization": f"Bearer {token}"}, concurrency,
                            seconds)
    if server_pid:
        cpu = process_cpu_seconds(server_pid) - cpu_before
        result["server_cpu_ms"] = round(cpu * 1000 / max(result["n"], 1), 3)
    if backends:
        db_cpu = sum(used - db_before.get(pid, 0.0) for pid, used in backends().items())
        result["db_cpu_ms"] = round(db_cpu * 1000 / max(result["n"], 1), 3)
    return result


def _application_name(kind: str) -> str:
    return f"bench-api-reads-{kind}-{os.getpid()}"


def _backend_cpu(conninfo: str, kind: str) -> dict[int, float]:
    """CPU used so far by each PostgreSQL backend serving ``kind``'s connections (they carry
    its application name): the database's share of a request, which the bare handler's
    figure alone does not show."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "select pid from pg_stat_activity where application_name = %s",
            (_application_name(kind),))]
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # the backend ended in between
            found[pid] = process_cpu_seconds(pid)
    return found


def _start(kind: str, conninfo: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from psycopg.conninfo import make_conninfo

    port = free_port()
    named = make_conninfo(conninfo, application_name=_application_name(kind))
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.api_reads", "--serve", kind, "--conninfo", named,
         "--port", str(port), "--data-dir", str(data_dir)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {kind} server exited during start-up")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return process, base
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the {kind} server did not start")


def _median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in runs), 3 if key.endswith("cpu_ms") else 1)
            for key in runs[0]}


async def compare(bases: dict[str, str], pids: dict[str, int], tokens: dict[str, Any],
                  args: argparse.Namespace, conninfo: str) -> list[dict[str, Any]]:
    reads = [("GET /users/me", "/users/me", "participant"),
             ("GET /conversations", "/conversations", "participant"),
             ("GET /conversations/{id}/messages",
              f"/conversations/{tokens['conversation']}/messages", "participant"),
             ("admin search, common word", f"/admin/conversations?q={COMMON}", "admin")]
    rows = []
    for label, path, role in reads:
        runs: dict[str, list[dict[str, float]]] = {"ignacio": [], "bare": []}
        for _ in range(args.runs):
            for kind in ("ignacio", "bare"):
                runs[kind].append(await load(
                    bases[kind], path, tokens[role], args.concurrency, args.seconds, pids[kind],
                    backends=lambda kind=kind: _backend_cpu(conninfo, kind)))
        ignacio, bare = _median_of(runs["ignacio"]), _median_of(runs["bare"])
        rows.append({"read": label, "concurrency": args.concurrency, "ignacio": ignacio,
                     "bare": bare,
                     "p99_ratio": round(ignacio["p99_ms"] / max(bare["p99_ms"], 0.1), 2),
                     "throughput_ratio": round(ignacio["rps"] / max(bare["rps"], 0.1), 2),
                     "server_cpu_ratio": round(ignacio.get("server_cpu_ms", 0)
                                               / max(bare.get("server_cpu_ms", 0), 0.001), 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=ROOT / ".bench-data" / "reads")
    p.add_argument("--users", type=int, default=Shape.users)
    p.add_argument("-c", "--concurrency", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--charts", type=Path, default=ROOT / "docs" / "benchmarks",
                   help="where the PNG chart goes")
    p.add_argument("--serve", choices=["ignacio", "bare"], help=argparse.SUPPRESS)
    p.add_argument("--conninfo", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return p


def main() -> None:
    args = _parser().parse_args()
    if args.serve:
        serve(args.serve, args.conninfo, args.data_dir, args.port)
        return
    data_dir = args.data_dir if args.users == Shape.users else args.data_dir.with_name(
        f"{args.data_dir.name}-{args.users}")
    conninfo, server = embedded(data_dir)
    processes = []
    try:
        print(json.dumps(asyncio.run(seed(conninfo, Shape(users=args.users), data_dir))), flush=True)
        tokens = asyncio.run(_tokens(conninfo, data_dir))
        bases = {}
        for kind in ("ignacio", "bare"):
            process, bases[kind] = _start(kind, conninfo, data_dir)
            processes.append(process)
        load_before = os.getloadavg()
        pids = {kind: p.pid for kind, p in zip(bases, processes, strict=True)}
        rows = run(compare(bases, pids, tokens, args, conninfo))
        report = {"load_average_before": load_before, "load_average": os.getloadavg(),
                  "cpus": os.cpu_count(), "reads": rows}
        print(json.dumps({key: report[key] for key in ("load_average_before", "load_average")}),
              flush=True)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2))
        from bench.charts import api_reads_chart

        api_reads_chart(rows, args.charts / "api_reads.png")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        from ignacio_agents.db import release_embedded_server

        release_embedded_server(server)


if __name__ == "__main__":
    main()
