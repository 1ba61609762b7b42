"""How much a 25 MB upload raises the server's resident memory, over real HTTP.

Starts ``ignacio serve --no-worker`` on a throw-away data directory (embedded Postgres, local
blob store), signs a user in, warms the upload path with small files, then streams a 25 MB file
from a generator (the client never holds it either) while a thread samples the server's RSS from
``/proc/<pid>/status`` every few milliseconds. Reports the peak over the idle baseline, plus the
answer to a 26 MB upload. Linux only (``/proc``).

    .venv/bin/python bench/upload_memory.py            # prints one JSON line
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

MiB = 1024 * 1024
BOUNDARY = "bench-upload-boundary"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: `python bench/upload_memory.py`


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Sampler(threading.Thread):
    """Records the highest RSS seen since the last ``reset``."""

    def __init__(self, pid: int, every: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.running = pid, every, 0, True

    def reset(self) -> int:
        self.peak = rss_bytes(self.pid)
        return self.peak

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(self.every)


def body(name: str, size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\""
           "\r\nContent-Type: text/plain\r\n\r\n").encode()
    block = (b"A line of a long plan, repeated to fill the file.\n" * (chunk // 50 + 1))[:chunk]
    left = size
    while left > 0:
        piece = block[: min(chunk, left)]
        left -= len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sign_in(data_dir: Path) -> str:
    """Create a user and a session straight in the store; return a bearer token."""
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token
    from ignacio_agents.runtime import open_runtime
    from ignacio_agents.settings import load_settings

    settings = load_settings()
    async with open_runtime(settings) as runtime:
        user = await runtime.store.users.create("+34600000001", "Bench")
        session = await runtime.store.sessions.create(user.id, new_token(), timedelta(days=1))
        return issue_access_token(settings, user.id, session.id, False)


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="ignacio-bench-"))
    port = free_port()
    env = {**os.environ, "IGNACIO_DATA_DIR": str(data_dir), "IGNACIO_PORT": str(port),
           "IGNACIO_LOG_LEVEL": "WARNING", "DATABASE_URL": "", "STORAGE_BACKEND": "local",
           "IGNACIO_ENV": "development", "OPENAI_API_KEY": "", "LOGFIRE_TOKEN": ""}
    os.environ.update(env)
    server = None
    try:
        token = asyncio.run(sign_in(data_dir))
        server = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; raise SystemExit(main())",
             "serve", "--no-worker"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}",
                   "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
            for i in range(3):  # warm the upload path (imports, pools, first sniff)
                assert client.post("/files/upload", headers=headers,
                                   content=body(f"warm{i}.txt", 2 * MiB)).status_code == 201
            time.sleep(0.5)
            sampler = Sampler(server.pid)
            sampler.start()
            results = {}
            for run in (1, 2):
                baseline = sampler.reset()
                started = time.perf_counter()
                resp = client.post("/files/upload", headers=headers,
                                   content=body(f"plan{run}.txt", 25 * MiB))
                elapsed = time.perf_counter() - started
                time.sleep(0.05)
                assert resp.status_code == 201, resp.text
                results[f"upload_25mb_run{run}"] = {
                    "baseline_rss_mib": round(baseline / MiB, 1),
                    "peak_rss_increase_mib": round((sampler.peak - baseline) / MiB, 2),
                    "seconds": round(elapsed, 2),
                }
            baseline = sampler.reset()
            too_big = client.post("/files/upload", headers=headers,
                                  content=body("big.txt", 26 * MiB))
            results["upload_26mb"] = {
                "status": too_big.status_code,
                "peak_rss_increase_mib": round((sampler.peak - baseline) / MiB, 2),
                "stored_objects": sum(1 for p in (data_dir / "blobs").rglob("*") if p.is_file()),
            }
            sampler.running = False
        print(json.dumps(results))
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
