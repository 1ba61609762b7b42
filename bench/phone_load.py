"""How fast the web app is on a phone network: sign-in and a deep link, in Debian Chromium.

The profile is the one phones on a weak mobile connection get (and Lighthouse's mobile
default): 1.6 Mbps down, 750 kbps up, 150 ms round trips, applied by Chromium's own network
emulation; ``--cpu 4`` also slows the CPU down four times, as Lighthouse does. Every visit is a
cold one (a new browser context: empty cache, nothing preloaded).

* **sign-in usable**: from navigation to ``/login`` until the phone field and its button are
  on screen (the page is rendered by script, so on screen means it answers input);
* **deep link**: a signed-in participant (refresh cookie only, as after closing the tab) opens
  ``/c/<id>`` of a 50-message conversation: until its first answer is on screen. The 25 turns
  are made through the real API with the offline model before the browser starts.

Goals: sign-in ≤ 2 s, deep link ≤ 2.5 s (medians). ``--lighthouse`` also runs Lighthouse
(mobile, performance only) on the sign-in page; its npm package is installed once under
``.bench-data/lighthouse``.

    .venv/bin/python -m bench.phone_load                 # 5 cold visits of each
    .venv/bin/python -m bench.phone_load --cpu 4 --lighthouse --json reports/bench/phone.json

Needs the built web app (``make web``) and Chromium (``make chromium``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import free_port  # noqa: E402
from bench.seed import embedded  # noqa: E402

JWT_SECRET = "bench-jwt-secret-bench-jwt-secret-bench"  # noqa: S105 - a throwaway app's secret
LIGHTHOUSE = "lighthouse@12"
GOALS_MS = {"sign_in": 2000, "deep_link": 2500}
QUESTIONS = (
    "¿Cómo fijo el precio de lanzamiento de mi app de reservas de pádel?",
    "¿Qué métricas debería mirar el primer mes?",
    "¿Necesito una web además de la app?",
    "¿Cómo calculo el punto de equilibrio con tres clubes pagando?",
    "¿Qué le pregunto a los dueños de los clubes en las entrevistas?",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium is needed: make chromium")


async def _people(conninfo: str, data_dir: Path, sessions: int) -> dict[str, Any]:
    """A participant with ``sessions`` refresh tokens and an access token for seeding."""
    from api.tokens import issue_access_token
    from ignacio_agents.db import Database
    from ignacio_agents.migrations import migrate
    from ignacio_agents.runtime import phone_cipher
    from ignacio_agents.settings import load_settings
    from ignacio_agents.store import Store

    settings = load_settings(database_url=conninfo, data_dir=data_dir, jwt_secret_key=JWT_SECRET)
    await migrate(conninfo)
    db = await Database.open(conninfo, min_size=1, max_size=2)
    try:
        store = Store(db, phone_cipher(settings))
        user = await store.users.create("+34699000001", "Paula Pádel")
        seeding = await store.sessions.create(user.id, os.urandom(16).hex(), timedelta(days=1))
        tokens = [os.urandom(24).hex() for _ in range(sessions)]
        for token in tokens:
            await store.sessions.create(user.id, token, timedelta(days=1))
        return {"access": issue_access_token(settings, user.id, seeding.id, False),
                "refresh_tokens": tokens}
    finally:
        await db.close()


async def _conversation(base: str, access: str, turns: int) -> str:
    """``turns`` questions answered by the real engine (offline model): 2 × turns messages."""
    headers = {"authorization": f"Bearer {access}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        created = await client.post("/conversations", json={"title": "Precio de lanzamiento"})
        created.raise_for_status()
        conversation = str(created.json()["id"])
        for turn in range(turns):
            text = f"{QUESTIONS[turn % len(QUESTIONS)]} (pregunta {turn + 1})"
            answered = await client.post(f"/conversations/{conversation}/messages",
                                         json={"content": text})
            answered.raise_for_status()
        return conversation


def _start_app(conninfo: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WHATSAPP_"))}
    env.update({"DATABASE_URL": conninfo, "IGNACIO_DATA_DIR": str(data_dir),
                "IGNACIO_PORT": str(port), "IGNACIO_WORKER_PROCESSES": "0",
                "JWT_SECRET_KEY": JWT_SECRET, "IGNACIO_LOG_LEVEL": "WARNING",
                "PYDANTIC_AI_MODEL": "offline"})
    return subprocess.Popen([str(Path(sys.executable).with_name("ignacio")), "serve"],
                            cwd=ROOT, env=env)


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the app stopped while starting")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("the app did not start within 120 s")


def _browser_runs(base: str, conversation: str, tokens: list[str], runs: int,
                  cpu: float) -> dict[str, Any]:
    script = ROOT / "frontend" / "scripts" / "phone-bench.mjs"
    config = {"base": base, "conversation": conversation, "refreshTokens": tokens,
              "runs": runs, "cpu": cpu, "chromium": _chromium()}
    out = subprocess.run(["node", str(script), json.dumps(config)], cwd=ROOT / "frontend",
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _lighthouse(base: str, path: str) -> dict[str, Any]:
    """One Lighthouse mobile run (simulated 1.6 Mbps / 150 ms, 4× CPU) of ``path``."""
    prefix = ROOT / ".bench-data" / "lighthouse"
    binary = prefix / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                        "--silent", LIGHTHOUSE], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = [str(binary), f"{base}{path}", "--only-categories=performance", "--quiet",
                "--output=json", f"--output-path={report}",
                "--chrome-flags=--headless=new --no-sandbox"]
        subprocess.run(args, check=True, env={**os.environ, "CHROME_PATH": _chromium()})
        data = json.loads(report.read_text())
    audits = data["audits"]
    return {
        "score": round(data["categories"]["performance"]["score"] * 100),
        **{key: audits[key]["displayValue"] for key in (
            "first-contentful-paint", "largest-contentful-paint", "speed-index",
            "total-blocking-time", "cumulative-layout-shift")},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        raise SystemExit("build the web app first: make web")
    with tempfile.TemporaryDirectory(prefix="ignacio-phone-") as tmp:
        data_dir = Path(tmp)
        conninfo, server = embedded(data_dir / "pg")
        people = asyncio.run(_people(conninfo, data_dir, args.runs))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app = _start_app(conninfo, data_dir, port)
        try:
            _wait_healthy(base, app)
            conversation = asyncio.run(_conversation(base, people["access"], args.turns))
            result: dict[str, Any] = {
                "profile": {"down_kbps": 1600, "up_kbps": 750, "rtt_ms": 150, "cpu": args.cpu},
                "messages": args.turns * 2, "load_average": os.getloadavg()[0],
                **_browser_runs(base, conversation, people["refresh_tokens"], args.runs, args.cpu),
            }
            if args.lighthouse:
                result["lighthouse"] = {"sign_in": _lighthouse(base, "/login")}
            return result
        finally:
            app.terminate()
            app.wait(timeout=30)
            del server


def _report(result: dict[str, Any]) -> None:
    p = result["profile"]
    print(f"{p['down_kbps'] / 1000:g} Mbps / {p['rtt_ms']} ms, CPU ×{p['cpu']:g}; "
          f"{result['messages']}-message conversation; load average {result['load_average']:.1f}")
    for key, label in (("sign_in", "sign-in usable"), ("deep_link", "deep link, first answer")):
        samples = result[key]
        median = sorted(samples)[len(samples) // 2]
        verdict = "ok" if median <= GOALS_MS[key] else "over"
        print(f"  {label:<26} median {median:6.0f} ms  (goal ≤ {GOALS_MS[key]} ms: {verdict};"
              f" runs {', '.join(f'{s:.0f}' for s in samples)})")
    for page, lh in result.get("lighthouse", {}).items():
        print(f"  Lighthouse mobile, {page}: {lh['score']} (FCP {lh['first-contentful-paint']},"
              f" LCP {lh['largest-contentful-paint']}, TBT {lh['total-blocking-time']},"
              f" CLS {lh['cumulative-layout-shift']})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="cold visits of each page")
    p.add_argument("--turns", type=int, default=25, help="questions in the deep-linked conversation")
    p.add_argument("--cpu", type=float, default=1, help="CPU slowdown (Lighthouse uses 4)")
    p.add_argument("--lighthouse", action="store_true")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    result = run(args)
    _report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
