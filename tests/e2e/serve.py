"""Run the real app for browser tests: embedded Postgres in a fresh temp dir, the offline model,
WhatsApp pointed at a fake Graph API server on loopback, and a tiny control server that tells the
browser tests which sign-in code the fake captured (tests read codes where a phone would).

A second API process (``ignacio serve --no-worker``, its own port, the same database) serves
the live tests: a change made through one process must reach tabs open on the other.

A third one is a fresh ``make run``: ``ignacio create-admin`` then ``ignacio serve`` on an empty
data dir, with no WhatsApp configuration at all, so its WhatsApp traffic goes to the built-in
simulator. Its sign-in codes are read from its console, as a newcomer would, and the control
server tells whether its log (the job worker's included) holds an error.

Usage: python -m tests.e2e.serve --port 8765 --control-port 8766 --second-port 8767
    --fresh-port 8768
Prints one JSON line {"app": url, "app2": url, "fresh": url, "control": url, "graph": url} once
everything answers.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from tests.fakes.graph import FakeGraphServer, signed_webhook, text_webhook

ADMIN = ("+34600000001", "Ada Admin")
PARTICIPANT = ("+34600000002", "Pablo Participante")
# One person per spec that signs in on its own: sign-in codes are limited per number and
# client (3 in 15 min), and every browser signs in from loopback.
OWN_PEOPLE = {
    "search_admin": ("+34600000003", "Rosa Revisora", True),
    "search_participant": ("+34600000004", "Sergio Buscador", False),
    "theme_participant": ("+34600000005", "Teresa Tema", False),
    "security_admin": ("+34600000006", "Sofía Seguridad", True),
    "cohorts_admin": ("+34600000040", "Carmen Cohortes", True),
    "cohorts_participant": ("+34600000041", "Diego Datos", False),
    "search_self": ("+34600000080", "Marta Buscadora", False),
    "audit_admin": ("+34600000070", "Aurora Auditora", True),
    "audit_participant": ("+34600000071", "Íñigo Interesado", False),
    "export_admin": ("+34600000081", "Tomás Transcripción", True),
    # The fresh server's first admin (``ignacio create-admin``) and the participant the
    # simulator spec enrols there through the admin UI; seeded here too so the phone range
    # stays the spec's own.
    "simulator_admin": ("+34600000050", "Fabiola Fresca", True),
    "simulator_participant": ("+34600000051", "Nico Novato", False),
    "consent_participant": ("+34600000072", "Clara Consentida", False),
    "mentor_mentor": ("+34600000020", "Marta Mentora", False),
    "mentor_admin": ("+34600000021", "Alba Supervisora", True),
    "mentor_participant": ("+34600000022", "Pedro Participa", False),
    "import_admin": ("+34600000082", "Irene Importa", True),
    "totp_admin": ("+34600000030", "Tomás Dospasos", True),
    "users_admin": ("+34600000097", "Gloria Gestora", True),
    "users_participant": ("+34600000098", "Rubén Rol", False),
}
# Mentor assignments the mentoring spec starts from: mentor key -> participant key.
MENTOR_OF = {"mentor_mentor": "mentor_participant"}
# Audit rows on past days for the audit log's date filter: (when, actor, action, target,
# details), actor and target by OWN_PEOPLE key.
AUDIT_PAST = (
    ("2026-03-01T09:15:00+00:00", "audit_admin", "user.export", "audit_participant",
     {"own": False}),
    ("2026-03-01T17:40:00+00:00", "audit_admin", "user.update", "audit_participant",
     {"changes": ["name", "preferred_language"]}),
    # (none of app.spec.ts's counted actions: it counts user.create, memory.view, transcript.view)
    ("2026-03-02T08:05:00+00:00", "audit_admin", "usage.cap_lift", "audit_participant",
     {"until": "2026-04-01T00:00:00+00:00"}),
)
FRESH_ADMIN = "simulator_admin"
APP_SECRET = "e2e-app-secret"  # signs the WhatsApp webhooks the control server posts


def _codes(graph: FakeGraphServer, phone: str) -> list[str]:
    codes = []
    for req in graph.requests:
        body = req.json or {}
        if body.get("type") != "template" or body.get("to", "").lstrip("+") != phone.lstrip("+"):
            continue
        for comp in body["template"].get("components", []):
            if comp.get("type") == "body":
                codes.append(comp["parameters"][0]["text"])
    return codes


# What the fresh server prints for a sign-in code (``WhatsAppChannel.send_sign_in_code``).
_CONSOLE_CODE = re.compile(r"\[ignacio\] sign-in code for (\S+): (\d+)")
# A log line that reports a failure: logging's ERROR/CRITICAL levels or a traceback.
_LOG_ERROR = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")


def _log_lines(path: Path | None) -> list[str]:
    if path is None or not path.exists():
        return []
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def console_codes(path: Path | None, phone: str) -> list[str]:
    """The sign-in codes the fresh server printed for ``phone`` (its console masks numbers)."""
    from ignacio_agents.crypto import mask_phone

    masked = mask_phone(phone)
    return [m[2] for line in _log_lines(path)
            if (m := _CONSOLE_CODE.search(line)) and m[1] == masked]


def control_app(graph: FakeGraphServer, app_url: str = "",
                fresh_log: Path | None = None) -> Starlette:
    async def otp(request: Request) -> JSONResponse:
        codes = _codes(graph, request.query_params.get("phone", ""))
        if not codes:
            return JSONResponse({"error": "no code captured"}, 404)
        return JSONResponse({"code": codes[-1], "count": len(codes)})

    async def users(_: Request) -> JSONResponse:
        people = {"admin": ADMIN, "participant": PARTICIPANT,
                  **{key: (phone, name) for key, (phone, name, _) in OWN_PEOPLE.items()}}
        return JSONResponse({key: {"phone": phone, "name": name}
                             for key, (phone, name) in people.items()})

    async def framer(request: Request) -> HTMLResponse:
        """A page on another origin (this server's port) that frames the given URL."""
        src = html.escape(request.query_params.get("src", ""), quote=True)
        return HTMLResponse(f'<!doctype html><iframe id="app" src="{src}" width="600"'
                            ' height="400"></iframe>')

    async def whatsapp(request: Request) -> JSONResponse:
        """Post a signed WhatsApp text webhook to the first API process, as Meta would."""
        body = await request.json()
        payload = text_webhook(body["text"], wa_id=str(body["phone"]).lstrip("+"))
        content, headers = signed_webhook(payload, APP_SECRET)
        async with httpx.AsyncClient() as http:
            resp = await http.post(f"{app_url}/webhooks/whatsapp", content=content,
                                   headers=headers)
        return JSONResponse({"status": resp.status_code})

    async def fresh_otp(request: Request) -> JSONResponse:
        """The last code the fresh server printed on its console for ``phone``."""
        codes = console_codes(fresh_log, request.query_params.get("phone", ""))
        if not codes:
            return JSONResponse({"error": "no code printed"}, 404)
        return JSONResponse({"code": codes[-1], "count": len(codes)})

    async def fresh_log_errors(_: Request) -> JSONResponse:
        """The fresh server's log lines that report a failure (none expected)."""
        lines = _log_lines(fresh_log)
        return JSONResponse({"lines": len(lines),
                             "errors": [line for line in lines if _LOG_ERROR.search(line)]})

    return Starlette(routes=[Route("/otp", otp), Route("/users", users),
                             Route("/framer", framer),
                             Route("/whatsapp", whatsapp, methods=["POST"]),
                             Route("/fresh/otp", fresh_otp),
                             Route("/fresh/log-errors", fresh_log_errors)])


def start_second_process(data_dir: Path, graph: FakeGraphServer, port: int) -> subprocess.Popen:
    """``ignacio serve --no-worker`` on the same data dir: it attaches to the embedded server
    the first process started and shares its generated secrets (tokens work on both)."""
    env = {
        **os.environ, "IGNACIO_DATA_DIR": str(data_dir), "DATABASE_URL": "",
        "IGNACIO_ENV": "development", "PYDANTIC_AI_MODEL": "test", "OPENAI_API_KEY": "",
        "IGNACIO_LOG_LEVEL": "WARNING", "WHATSAPP_APP_SECRET": APP_SECRET,
        **{f"WHATSAPP_{k.upper()}": v for k, v in graph.settings_overrides().items()},
    }
    cmd = [sys.executable, "-m", "api.cli", "serve", "--no-worker", "--port", str(port)]
    return subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parents[2])


def fresh_env(data_dir: Path) -> dict[str, str]:
    """A newcomer's environment: no WhatsApp, no model key, no database URL, development."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WHATSAPP_", "IGNACIO_", "PYDANTIC_AI_", "OPENAI_", "LOGFIRE_"))
           and k != "DATABASE_URL"}
    return {**env, "IGNACIO_DATA_DIR": str(data_dir)}


def start_fresh_process(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    """What the README's quick start does: ``ignacio create-admin``, then ``ignacio serve``
    (API, web UI and job worker) on an empty data dir; everything it prints goes to
    ``log_path``."""
    repo = Path(__file__).resolve().parents[2]
    phone, name, _ = OWN_PEOPLE[FRESH_ADMIN]
    env = fresh_env(data_dir)
    with log_path.open("ab") as log:
        subprocess.run([sys.executable, "-m", "api.cli", "create-admin", phone, "--name", name],
                       env=env, cwd=repo, stdout=log, stderr=log, check=True)
        cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        return subprocess.Popen(cmd, env={**env, "PYTHONUNBUFFERED": "1"}, cwd=repo,
                                stdout=log, stderr=log)


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API process on {url} exited ({process.returncode})")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


# What the participant told Ignacio on WhatsApp before the browser tests (already folded into
# their memory, which the web profile shows).
WHATSAPP_EARLIER = ("Tenemos 3 pilotos de pago en Valencia.",
                    "Hemos decidido cobrar 12 euros al mes por escuela.")


async def _seed(settings) -> None:  # type: ignore[no-untyped-def]
    from ignacio_agents.folding import ExtractSummarizer, fold_conversation
    from ignacio_agents.runtime import open_runtime
    from tests.memory_helpers import add_turn

    async with open_runtime(settings) as rt:
        for (phone, name), admin in ((ADMIN, True), (PARTICIPANT, False)):
            if await rt.store.users.get_by_phone(phone) is None:
                user = await rt.store.users.create(phone, name, is_admin=admin)
                if not admin:
                    chat = await rt.store.conversations.create(user.id, "whatsapp")
                    for text in WHATSAPP_EARLIER:
                        await add_turn(rt.store, chat, text, "¡Anotado!")
                    await fold_conversation(rt.store, ExtractSummarizer(), chat.id)
        ids = {}
        for key, (phone, name, admin) in OWN_PEOPLE.items():
            user = await rt.store.users.get_by_phone(phone)
            ids[key] = (user or await rt.store.users.create(phone, name, is_admin=admin)).id
        for mentor, participant in MENTOR_OF.items():
            await rt.store.users.update(ids[mentor], is_mentor=True)
            await rt.store.mentoring.assign(ids[mentor], ids[participant], assigned_by=None)
        if not await rt.store.db.fetch_value(
                "select count(*) from audit_log where created_at < '2026-04-01'"):
            for at, actor, action, target, details in AUDIT_PAST:
                await rt.store.db.execute(
                    "insert into audit_log (actor_id, action, target_type, target_id, details,"
                    " created_at) values (%s, %s, 'user', %s, %s::jsonb, %s::timestamptz)",
                    ids[actor], action, str(ids[target]), json.dumps(details), at)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--control-port", type=int, default=8766)
    parser.add_argument("--second-port", type=int, default=8767)
    parser.add_argument("--fresh-port", type=int, default=8768)
    args = parser.parse_args()

    from api.app import create_app
    from channels.web.channel import WebChannel
    from channels.whatsapp.channel import WhatsAppChannel
    from channels.whatsapp.settings import WhatsAppSettings
    from ignacio_agents.settings import load_channel_settings, load_settings

    data_dir = Path(tempfile.mkdtemp(prefix="ignacio-e2e-"))
    # Registered before the embedded server starts, so it runs after the server's own
    # atexit stop (atexit is last-in, first-out): never delete a live pgdata.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    graph = FakeGraphServer().start()
    settings = load_settings(
        data_dir=data_dir, database_url=None, ignacio_env="development",
        pydantic_ai_model="test", openai_api_key=None, run_worker_in_process=True,
        job_poll_interval_seconds=0.2,
        # Every browser signs in from loopback: the per-client code limit (20 in 15 min) would
        # cut the specs off after the twentieth sign-in; the per-number limit still holds.
        otp_rate_limit_per_ip=500,
        # Paced like a real model, so answers stream in several updates (and Stop has time).
        offline_stream_chunk_seconds=0.15,
    )
    asyncio.run(_seed(settings))
    fresh_dir = Path(tempfile.mkdtemp(prefix="ignacio-e2e-fresh-"))
    atexit.register(shutil.rmtree, fresh_dir, ignore_errors=True)
    fresh_log = data_dir / "fresh-server.log"

    app_url = f"http://127.0.0.1:{args.port}"
    control = uvicorn.Server(uvicorn.Config(control_app(graph, app_url, fresh_log),
                                            host="127.0.0.1",
                                            port=args.control_port, log_level="warning"))
    threading.Thread(target=control.run, daemon=True).start()
    app_server = uvicorn.Server(uvicorn.Config(create_app(settings, channels=[
        WebChannel(), WhatsAppChannel(load_channel_settings(
            WhatsAppSettings, settings, app_secret=APP_SECRET,
            **graph.settings_overrides()))]), host="127.0.0.1",
                                               port=args.port, log_level="warning"))

    second: list[subprocess.Popen] = []
    app2_url = f"http://127.0.0.1:{args.second_port}"
    fresh_url = f"http://127.0.0.1:{args.fresh_port}"

    def announce() -> None:
        while not app_server.started:
            threading.Event().wait(0.05)
        second.append(start_second_process(data_dir, graph, args.second_port))
        wait_for_health(app2_url, second[0])
        second.append(start_fresh_process(fresh_dir, args.fresh_port, fresh_log))
        wait_for_health(fresh_url, second[1])
        print(json.dumps({"app": app_url, "app2": app2_url, "fresh": fresh_url,
                          "control": f"http://127.0.0.1:{args.control_port}",
                          "graph": graph.base_url}), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: setattr(app_server, "should_exit", True))
    try:
        app_server.run()
    finally:
        for process in second:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        control.should_exit = True
        graph.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
