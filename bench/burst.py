"""A cohort's WhatsApp burst: N enrolled participants each send one message within ~16 s.

Everything is the real deployment except the two outside services: ``ignacio serve`` (or, with
``--api-processes`` > 1, that many ``ignacio serve --no-worker`` plus ``--worker-processes``
``ignacio worker`` processes) on an embedded PostgreSQL, each in its own process and configured
only through the environment, as an operator would. The model is the fake OpenAI-compatible
server of ``tests/fakes`` (as strict as OpenAI about what it accepts) answering every request
after ``--latency`` seconds; Meta is the fake Graph API. Both fakes run in a process of their
own, so their CPU is neither counted nor competing with the sender's clock.

The sender posts one signed webhook per participant, evenly spread over ``--spread`` seconds
(round-robin over the API processes: a load balancer's job), and times each acknowledgement.
It prints:

- every message answered exactly once (the answer's text counted per participant at the fake
  Graph API; nothing lost, nothing sent twice);
- time from the first message to the last reply, and reply latency p50 / p99;
- webhook acknowledgement p50 / p99 *during* the burst (the workers busy meanwhile);
- CPU per message: user + system CPU of the API and worker processes over the burst, divided by
  the messages (PostgreSQL's CPU is shown beside it);
- the model-bound ideal ``N / (P * C) * model calls per turn * latency`` and the CPU floor
  (all CPU spent, app and database, divided by the cores this machine has), and the ratio of
  the last reply to the larger of the two.

    .venv/bin/python -m bench.burst                                  # 1,000 participants
    .venv/bin/python -m bench.burst --participants 100 --spread 2    # the short run of make bench
    .venv/bin/python -m bench.burst --api-processes 2 --worker-processes 2   # scale out
    .venv/bin/python -m bench.burst --json reports/bench/burst.json --charts docs/benchmarks
    .venv/bin/python -m bench.burst --profile reports/bench/worker.svg      # py-spy, worker 0
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import free_port, percentile  # noqa: E402

APP_SECRET = "bench-burst-app-secret"  # noqa: S105 - a throwaway secret for a throwaway app
MODEL = "fake-model"
# The fake model's answer; the marker is how the sender recognises it among the sends.
MARKER = "respuesta-de-prueba"
ANSWER = {"advice": f"Habla con cinco clientes esta semana y pregunta cuánto pagarían ({MARKER}).",
          "action_items": ["Lista de 20 clientes potenciales", "Cinco entrevistas"],
          "resources": ["The Mom Test"]}
WARM_UP = 4  # participants whose messages warm the processes up (not measured)


def _wa_id(index: int) -> str:
    return f"3462{index:07d}"


# --- the fakes' process ---------------------------------------------------------------------------


def model_reply(body: dict[str, Any]) -> dict[str, Any]:
    """The router routes to marketing; the specialist answers at once with its typed answer."""
    from tests.fakes.openai_server import tool_call

    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if "route" in tools:
        return {"tool_calls": [tool_call("route", {"specialist": "marketing",
                                                   "reason": "precio", "language": "es"})]}
    if "record_notes" in tools:  # the background fold of a conversation into memory
        return {"tool_calls": [tool_call("record_notes", {"add": [], "outdated": []})]}
    answer_tool = next((t for t in tools if t.endswith("_answer")), None)
    if answer_tool is None:
        return {"content": ANSWER["advice"]}
    return {"tool_calls": [tool_call(answer_tool, ANSWER)]}


def _is_turn(body: dict[str, Any]) -> bool:
    """A router's or a specialist's request (not a background fold)."""
    return any(t["function"]["name"] == "route" or t["function"]["name"].endswith("_answer")
               for t in body.get("tools", []))


def serve_fakes(latency: float) -> None:
    """Start the fake model and Graph API, print their URLs, serve until stdin closes."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from tests.fakes.graph import FakeGraphServer
    from tests.fakes.loopback import LoopbackServer
    from tests.fakes.openai_server import FakeOpenAIServer

    class SlowModel(FakeOpenAIServer):
        """The strict fake, thinking ``latency`` seconds before every answer."""

        async def _chat(self, request: Request) -> Response:
            await asyncio.sleep(latency)
            return await super()._chat(request)

    model = SlowModel(model_reply).start()
    graph = FakeGraphServer().start()

    async def stats(_: Request) -> JSONResponse:
        answers: dict[str, list[float]] = {}
        sends = 0
        for r in graph.requests:
            if not (r.ok and r.method == "POST" and r.path.endswith("/messages")) or \
                    (isinstance(r.json, dict) and r.json.get("status") == "read"):
                continue
            sends += 1
            if MARKER in json.dumps(r.json, ensure_ascii=False):
                answers.setdefault(str(r.json.get("to")).lstrip("+"), []).append(r.at)
        return JSONResponse({"answers": answers, "sends": sends,
                             "model_requests": len(model.requests),
                             "turn_requests": sum(1 for r in model.requests if _is_turn(r.json)),
                             "model_rejected": len(model.rejected)})

    class Stats(LoopbackServer):
        name = "bench-stats"

        def __init__(self) -> None:
            self.app = Starlette(routes=[Route("/stats", stats)])

    board = Stats().start()
    print(json.dumps({"model": model.base_url, "graph": graph.base_url, "stats": board.base_url,
                      "graph_overrides": graph.settings_overrides()}), flush=True)
    sys.stdin.read()  # until the bench closes our stdin (or dies)
    for server in (board, graph, model):
        server.stop()


# --- the app's processes --------------------------------------------------------------------------


@dataclass
class Deployment:
    env: dict[str, str]
    api_processes: int
    worker_processes: int
    work: Path
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        ignacio = str(Path(sys.executable).with_name("ignacio"))
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for i in range(self.api_processes):
            port = free_port()
            self.ports.append(port)
            # One API process: `ignacio serve` as shipped, with its own worker processes.
            # Several: stateless API processes and the workers started on their own.
            single = self.api_processes == 1
            args = [ignacio, "serve", "--port", str(port)] + ([] if single else ["--no-worker"])
            env = {**self.env, "IGNACIO_WORKER_PROCESSES": str(self.worker_processes if single else 0)}
            self._spawn(args, env, logs / f"api-{i}.log")
        if self.api_processes > 1:
            for i in range(self.worker_processes):
                self._spawn([ignacio, "worker"], self.env, logs / f"worker-{i}.log")

    def _spawn(self, args: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            self.processes.append(subprocess.Popen(args, env=env, cwd=self.work, stdout=out,
                                                   stderr=subprocess.STDOUT))

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 180
        for port in self.ports:
            while True:
                if exited := [p for p in self.processes if p.poll() is not None]:
                    raise RuntimeError(f"{' '.join(map(str, exited[0].args))} exited during start-up"
                                       f" (code {exited[0].returncode}; logs: {self.work}/logs)")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the app did not start within 180 s")
                time.sleep(0.2)
        # `ignacio serve`'s own worker processes start with it; give them a moment to poll.
        time.sleep(2.0)

    def app_processes(self) -> list[psutil.Process]:
        """The API and worker processes (with `serve`'s worker children)."""
        found: list[psutil.Process] = []
        for p in self.processes:
            with_children = psutil.Process(p.pid)
            found.append(with_children)
            found.extend(with_children.children(recursive=True))
        return found

    def workers(self) -> list[psutil.Process]:
        return [p for p in self.app_processes() if "worker" in " ".join(p.cmdline())]

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    out: dict[int, float] = {}
    for p in processes:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[p.pid] = t.user + t.system
    return out


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """The embedded server's postmaster and its backends (the first line of postmaster.pid)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
    except (OSError, ValueError, psutil.NoSuchProcess):
        return []
    return [postmaster, *postmaster.children(recursive=True)]


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


# --- seeding and sending --------------------------------------------------------------------------


async def seed(participants: int) -> None:
    """Enrol the participants (run in the bench with the deployment's environment)."""
    from ignacio_agents.runtime import open_runtime
    from ignacio_agents.settings import load_settings

    async with open_runtime(load_settings()) as runtime:
        for i in range(participants + WARM_UP):
            await runtime.store.users.create("+" + _wa_id(i), f"Participante {i}")


async def wait_answered(stats_url: str, wanted: set[str], seconds: float) -> dict[str, Any]:
    """Poll the fake Graph API until every participant in ``wanted`` has an answer."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            response = await client.get(stats_url)
            response.raise_for_status()
            board = response.json()
            if wanted <= set(board["answers"]) or time.monotonic() > deadline:
                return dict(board)
            if int(time.monotonic()) % 10 == 0:
                print(f"  answered {len(wanted & set(board['answers']))}/{len(wanted)}, "
                      f"{board['model_requests']} model requests", file=sys.stderr, flush=True)
            await asyncio.sleep(0.25)


async def send_burst(ports: list[int], participants: int, spread: float, first: int = 0,
                     ) -> tuple[dict[str, float], list[tuple[float, float]], int]:
    """One signed webhook per participant, evenly over ``spread`` seconds: when each was sent
    (monotonic, by wa_id) and each acknowledgement as (sent at, milliseconds).

    Open loop, like Meta: each webhook leaves at its time whatever the earlier ones wait for,
    on an idle keep-alive connection to its API process (one is opened when none is idle). The
    connections are raw asyncio streams with precomputed request bytes (``bench.http_load``):
    httpx spent more CPU per request than the webhook itself, on the same two cores."""
    from bench.http_load import exchange, post_bytes
    from tests.fakes.graph import signed_webhook, text_webhook

    posts = [post_bytes("127.0.0.1", ports[i % len(ports)], "/webhooks/whatsapp", *signed_webhook(
        text_webhook(f"¿Cómo le pongo precio a mi producto? ({i})", wa_id=_wa_id(first + i)),
        APP_SECRET)) for i in range(participants)]
    # Connections opened before the clock starts, as Meta's are.
    idle = {port: [await asyncio.open_connection("127.0.0.1", port) for _ in range(16)]
            for port in ports}
    sent_at: dict[str, float] = {}
    acks: list[tuple[float, float]] = []
    resent: list[int] = []
    start = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i * spread / max(1, participants) - time.monotonic()))
        port = ports[i % len(ports)]
        at = time.monotonic()
        sent_at[_wa_id(first + i)] = at
        conn = idle[port].pop() if idle[port] else await asyncio.open_connection("127.0.0.1", port)
        try:
            status, body, keep = await exchange(*conn, posts[i])
        except (ConnectionError, asyncio.IncompleteReadError):
            # A kept-alive connection the server closed as it was reused: Meta resends a
            # delivery it got no answer to, and so do we (the message id makes it a no-op if
            # the first one was stored).
            resent.append(i)
            conn[1].close()
            conn = await asyncio.open_connection("127.0.0.1", port)
            status, body, keep = await exchange(*conn, posts[i])
        acks.append((at, (time.monotonic() - at) * 1000))
        if keep:
            idle[port].append(conn)
        else:
            conn[1].close()
        if status != 200:
            raise RuntimeError(f"webhook answered {status}: {body[:500]!r}")

    await asyncio.gather(*[one(i) for i in range(participants)])
    for conns in idle.values():
        for _, writer in conns:
            writer.close()
    return sent_at, acks, len(resent)


async def jobs_left(conninfo: str) -> int:
    from ignacio_agents.db import Database

    db = await Database.open(conninfo, min_size=1, max_size=1)
    try:
        async with db.connection() as conn:
            cur = await conn.execute(
                "select count(*) as n from procrastinate_jobs where status in ('todo', 'doing')")
            row = await cur.fetchone()
        return int(row["n"]) if row else 0
    finally:
        await db.close()


def start_profile(deployment: Deployment, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy (the ``bench`` extra) on the first worker process for the burst: only samples
    that hold the GIL, so a thread preempted by PostgreSQL on the same cores (or waiting in a C
    call) is not counted as the worker's CPU."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    workers = deployment.workers()
    if not Path(spy).exists() or not workers:
        print("py-spy not installed or no worker process: no profile")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".json": "speedscope", ".txt": "raw"}.get(out.suffix, "flamegraph")
    return subprocess.Popen([spy, "record", "--pid", str(workers[0].pid), "--duration",
                             str(int(seconds)), "--rate", "50", "--format", fmt, "--output",
                             str(out), "--nonblocking", "--gil"], stdout=subprocess.DEVNULL)


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ignacio_agents.db import embedded_conninfo

    work = Path(tempfile.mkdtemp(prefix="ignacio-burst-"))
    # Registered before the embedded server starts, so it runs after the server's own atexit
    # stop (last in, first out): a live pgdata is never deleted.
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    conninfo, _server = embedded_conninfo(work)
    fakes = subprocess.Popen([sys.executable, "-m", "bench.burst", "--fakes", str(args.latency)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert fakes.stdout is not None and fakes.stdin is not None
    urls = json.loads(fakes.stdout.readline())
    graph = urls["graph_overrides"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "OPENAI_"))},
        "PYTHONPATH": str(ROOT), "IGNACIO_ENV": "development", "IGNACIO_DATA_DIR": str(work / "data"),
        "DATABASE_URL": conninfo, "IGNACIO_LOG_LEVEL": "WARNING",
        "PYDANTIC_AI_MODEL": f"openai-chat:{MODEL}", "OPENAI_BASE_URL": urls["model"],
        "OPENAI_API_KEY": "bench-key", "CONSENT_NOTICE_ENABLED": "false",
        "WORKER_CONCURRENCY": str(args.concurrency), "MODEL_MAX_CONCURRENCY": str(args.concurrency),
        "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": "bench-verify",
        "WHATSAPP_ACCESS_TOKEN": graph["access_token"], "WHATSAPP_PHONE_NUMBER_ID": graph["phone_number_id"],
        "WHATSAPP_GRAPH_BASE_URL": graph["graph_base_url"],
        "WHATSAPP_GRAPH_API_VERSION": graph["graph_api_version"],
    }
    if args.db_pool:
        env["DB_POOL_MAX_SIZE"] = str(args.db_pool)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        asyncio.run(seed(args.participants))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    deployment = Deployment(env, args.api_processes, args.worker_processes, work)
    try:
        deployment.start()
        deployment.wait_until_up()
        # Warm-up: first turns load the tokenizer, the models' clients, the pools.
        warm_ids = {_wa_id(args.participants + i) for i in range(WARM_UP)}
        asyncio.run(send_burst(deployment.ports, WARM_UP, 0.5, first=args.participants))
        asyncio.run(wait_answered(f"{urls['stats']}/stats", warm_ids, 120))
        before_board = asyncio.run(wait_answered(f"{urls['stats']}/stats", set(), 0))

        processes = deployment.app_processes()
        worker_pids = {p.pid for p in deployment.workers()}
        pg = postgres_processes(work / "pgdata")
        cpu_before, pg_before = cpu_seconds(processes), cpu_seconds(pg)
        profiler = (start_profile(deployment, args.profile, args.spread + 60)
                    if args.profile else None)
        started = time.monotonic()
        sent_at, acks, resent = asyncio.run(send_burst(deployment.ports, args.participants,
                                                       args.spread))
        wanted = set(sent_at)
        board = asyncio.run(wait_answered(f"{urls['stats']}/stats", wanted, args.timeout))
        cpu_after, pg_after = cpu_seconds(processes), cpu_seconds(pg)
        # Late duplicates would arrive after the last first answer: let the queue drain.
        drain_deadline = time.monotonic() + 30
        while asyncio.run(jobs_left(conninfo)) and time.monotonic() < drain_deadline:
            time.sleep(0.5)
        time.sleep(2.0)
        final = asyncio.run(wait_answered(f"{urls['stats']}/stats", set(), 0))
        if profiler is not None:
            # py-spy writes its file when interrupted; SIGTERM would lose the samples.
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
    finally:
        deployment.stop()
        fakes.stdin.close()
        fakes.wait(timeout=30)

    answers = {k: v for k, v in final["answers"].items() if k in wanted}
    counts = [len(answers.get(wa, [])) for wa in wanted]
    first_answer = {wa: min(board["answers"][wa]) for wa in wanted if wa in board["answers"]}
    latencies = [first_answer[wa] - sent_at[wa] for wa in first_answer]
    last_reply = (max(first_answer.values()) - started) if first_answer else float("nan")
    ack_ms = [ms for _, ms in acks]
    n = args.participants
    model_calls = final["turn_requests"] - before_board["turn_requests"]
    background_calls = (final["model_requests"] - before_board["model_requests"]) - model_calls
    calls_per_turn = model_calls / n
    app_cpu = spent(cpu_before, cpu_after)
    worker_cpu = spent({pid: t for pid, t in cpu_before.items() if pid in worker_pids},
                       {pid: t for pid, t in cpu_after.items() if pid in worker_pids})
    db_cpu = spent(pg_before, pg_after)
    cores = len(os.sched_getaffinity(0))
    ideal = n / (args.worker_processes * args.concurrency) * calls_per_turn * args.latency
    floor = (app_cpu + db_cpu) / cores
    result = {
        "participants": n, "spread_s": args.spread, "latency_s": args.latency,
        "api_processes": args.api_processes, "worker_processes": args.worker_processes,
        "concurrency": args.concurrency, "cores": cores,
        "answered": sum(1 for c in counts if c >= 1), "answered_once": sum(1 for c in counts if c == 1),
        "duplicates": sum(c - 1 for c in counts if c > 1), "unanswered": sum(1 for c in counts if c == 0),
        "last_reply_s": round(last_reply, 2),
        "reply_latency_p50_s": round(percentile(latencies, 50), 2),
        "reply_latency_p99_s": round(percentile(latencies, 99), 2),
        "ack_p50_ms": round(percentile(ack_ms, 50), 1), "ack_p99_ms": round(percentile(ack_ms, 99), 1),
        "ack_max_ms": round(max(ack_ms), 1), "webhooks_resent": resent,
        "model_calls_per_turn": round(calls_per_turn, 2),
        "background_model_calls": background_calls,
        "model_rejected": final["model_rejected"],
        "app_cpu_s": round(app_cpu, 2), "db_cpu_s": round(db_cpu, 2),
        "cpu_ms_per_message": round(app_cpu / n * 1000, 1),
        "worker_cpu_ms_per_message": round(worker_cpu / n * 1000, 1),
        "db_cpu_ms_per_message": round(db_cpu / n * 1000, 1),
        "ideal_s": round(ideal, 2), "cpu_floor_s": round(floor, 2),
        "ratio": round(last_reply / max(ideal, floor), 2),
        "loadavg": os.getloadavg(),
        "timeline": {"answers": sorted(v - started for v in first_answer.values()),
                     "acks": [(round(at - started, 3), round(ms, 1)) for at, ms in acks]},
    }
    return result


def report(r: dict[str, Any]) -> str:
    bound = "CPU floor" if r["cpu_floor_s"] > r["ideal_s"] else "model-bound ideal"
    return "\n".join([
        f"burst: {r['participants']} participants over {r['spread_s']} s, model latency "
        f"{r['latency_s']} s, {r['api_processes']} API + {r['worker_processes']} worker process(es) "
        f"x concurrency {r['concurrency']}, {r['cores']} cores, load {r['loadavg'][0]:.1f}",
        f"answered exactly once: {r['answered_once']}/{r['participants']} (unanswered "
        f"{r['unanswered']}, duplicates {r['duplicates']}, model requests rejected "
        f"{r['model_rejected']})",
        f"last reply after {r['last_reply_s']} s | reply latency p50 {r['reply_latency_p50_s']} s, "
        f"p99 {r['reply_latency_p99_s']} s",
        f"webhook ack during the burst: p50 {r['ack_p50_ms']} ms, p99 {r['ack_p99_ms']} ms, "
        f"max {r['ack_max_ms']} ms ({r['webhooks_resent']} resent after a dropped connection)",
        f"CPU per message: {r['cpu_ms_per_message']} ms app (API "
        f"{r['cpu_ms_per_message'] - r['worker_cpu_ms_per_message']:.1f} + workers "
        f"{r['worker_cpu_ms_per_message']}), "
        f"{r['db_cpu_ms_per_message']} ms PostgreSQL",
        f"model-bound ideal {r['ideal_s']} s ({r['model_calls_per_turn']} model calls per turn; "
        f"{r['background_model_calls']} background fold calls) | "
        f"CPU floor {r['cpu_floor_s']} s | last reply / {bound} = x{r['ratio']}",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=16.0, help="seconds the messages span")
    parser.add_argument("--latency", type=float, default=1.0, help="model seconds per request")
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=48,
                        help="WORKER_CONCURRENCY (and MODEL_MAX_CONCURRENCY) per worker process")
    parser.add_argument("--db-pool", type=int, default=0, help="DB_POOL_MAX_SIZE (0: the default)")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many s")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    parser.add_argument("--charts", type=Path, default=None, help="draw the chart in this dir")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the first worker during the burst (.svg, speedscope .json, raw .txt)")
    parser.add_argument("--fakes", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fakes is not None:
        serve_fakes(args.fakes)
        return 0
    result = run(args)
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.charts:
        from bench.charts import burst_chart

        burst_chart(result, args.charts / f"burst_{result['api_processes']}api_"
                                          f"{result['worker_processes']}workers.png")
    ok = result["answered_once"] == result["participants"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
