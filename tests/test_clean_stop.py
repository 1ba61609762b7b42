"""A polite stop is a clean stop: ``ignacio serve`` on its own embedded PostgreSQL, stopped with
SIGTERM (what systemd, Docker and process managers send) or SIGINT, leaves no PostgreSQL process
and no stale pid behind. uvicorn re-raises SIGTERM after its graceful shutdown, so nothing that
relies on ``atexit`` would run; the runtime has to let go of the server itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(proc)
    return found


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IGNACIO_", "WHATSAPP_", "OPENAI_", "PYDANTIC_AI_", "DATABASE_"))}
    env.update({"IGNACIO_DATA_DIR": str(data_dir), "IGNACIO_LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT)})
    return subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=env, cwd=data_dir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("ignacio serve did not become healthy")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh data dir outside pytest's rotating temp folders (the embedded server runs as
    its own system user when the tests run as root, so the folder must outlive this test)."""
    path = Path(tempfile.mkdtemp(prefix="ignacio-stop-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_serve_stops_its_embedded_postgres(data_dir: Path, sig: signal.Signals) -> None:
    port = _free_port()
    pgdata = data_dir / "pgdata"
    proc = _serve(data_dir, port)
    try:
        _wait_healthy(proc, port)
        assert _postgres_processes(pgdata), "the embedded server should be running"
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while _postgres_processes(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()
    assert json.loads((pgdata / ".handle_pids.json").read_text() or "[]") == []


def _worker_children(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    return [child for child in psutil.Process(proc.pid).children()
            if "worker" in child.cmdline()]


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_serve_runs_its_worker_in_a_separate_process_and_keeps_it_running(data_dir: Path) -> None:
    """A busy worker must never share the API's event loop: ``ignacio serve`` starts one
    ``ignacio worker`` child by default, at a lower CPU priority (so a burst's turns never
    delay an acknowledgement), restarts it if it dies and stops it on SIGTERM."""
    port = _free_port()
    proc = _serve(data_dir, port)
    try:
        _wait_healthy(proc, port)
        [worker] = _worker_children(proc)
        worker_nice = worker.nice()
        assert worker_nice == psutil.Process(proc.pid).nice() + 10
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["worker"] == "up"
        worker.kill()
        worker.wait(timeout=10)
        _wait_for(lambda: [w.pid for w in _worker_children(proc)] not in ([], [worker.pid]))
        [restarted] = _worker_children(proc)
        assert restarted.nice() == worker_nice
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert not restarted.is_running() or restarted.status() == psutil.STATUS_ZOMBIE
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
