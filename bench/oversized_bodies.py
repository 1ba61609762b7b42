"""Four 200 MB bodies at once to routes anyone can reach: the server's memory stays flat.

Starts ``ignacio serve --no-worker`` on a throw-away data directory, samples its RSS from
``/proc/<pid>/status`` (reusing the upload benchmark's sampler), and sends, concurrently, four
200 MB bodies streamed from generators (the client never holds them either): to
``/auth/request-otp`` and ``/auth/refresh`` with a declared Content-Length, and to the WhatsApp
webhook (unsigned) and a JSON route chunked, with no length. Reports each answer's status and
time, and the peak RSS over the idle baseline. Linux only (``/proc``).

    .venv/bin/python bench/oversized_bodies.py            # prints one JSON line
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.upload_memory import MiB, Sampler, free_port  # noqa: E402

SIZE = 200 * MiB
TARGETS = [  # (path, declare Content-Length?)
    ("/auth/request-otp", True),
    ("/auth/refresh", True),
    ("/webhooks/whatsapp", False),
    ("/conversations", False),
]


async def _body(size: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    block = b" " * chunk
    left = size
    while left > 0:
        piece = block[: min(chunk, left)]
        left -= len(piece)
        yield piece


async def _send(client: httpx.AsyncClient, path: str, declared: bool) -> dict[str, object]:
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(SIZE)
    started = time.perf_counter()
    try:
        resp = await client.post(path, content=_body(SIZE), headers=headers)
        status: object = resp.status_code
    except httpx.TransportError as exc:  # the server may close before the client finished
        status = f"closed ({type(exc).__name__})"
    return {"path": path, "content_length": declared, "status": status,
            "seconds": round(time.perf_counter() - started, 2)}


async def _burst(base: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        return list(await asyncio.gather(*(_send(client, p, d) for p, d in TARGETS)))


def _wait_ready(base: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="ignacio-bench-"))
    port = free_port()
    env = {**os.environ, "IGNACIO_DATA_DIR": str(data_dir), "IGNACIO_PORT": str(port),
           "IGNACIO_LOG_LEVEL": "WARNING", "DATABASE_URL": "", "IGNACIO_ENV": "development",
           "OPENAI_API_KEY": "", "LOGFIRE_TOKEN": ""}
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; raise SystemExit(main())",
         "serve", "--no-worker"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        asyncio.run(_burst(base))  # warm-up: imports, first connections
        time.sleep(0.5)
        sampler = Sampler(server.pid)
        sampler.start()
        baseline = sampler.reset()
        started = time.perf_counter()
        answers = asyncio.run(_burst(base))
        elapsed = time.perf_counter() - started
        time.sleep(0.1)
        sampler.running = False
        print(json.dumps({
            "bodies": f"{len(TARGETS)} x {SIZE // MiB} MB at once",
            "answers": answers,
            "seconds": round(elapsed, 2),
            "baseline_rss_mib": round(baseline / MiB, 1),
            "peak_rss_increase_mib": round((sampler.peak - baseline) / MiB, 2),
        }))
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
