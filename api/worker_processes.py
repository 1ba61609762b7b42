"""The job workers ``ignacio serve`` starts beside the API, each in its own process.

A worker saturated by a cohort's burst (dozens of turns at once, each parsing and serialising
model traffic) would otherwise share the API's event loop and delay webhook acknowledgements
by seconds, and Meta resends deliveries that time out. In their own processes the workers use
the other cores and the API answers at once whatever they do. They are plain ``ignacio worker``
processes on the same database (the embedded server included: a second process attaches), so
one machine runs what a larger deployment runs on several.

The API process owns them: started once its runtime is open (migrations already applied),
restarted after an unexpected exit (with a back-off), stopped with SIGTERM on shutdown (they
finish their jobs within the grace period) and killed only after it. Each also exits by itself
if the API process disappears without stopping it (``--parent-pid``).

They run at a lower CPU priority (``IGNACIO_WORKER_NICE``): on a machine the burst saturates,
the scheduler then runs the API's short requests first, and a turn that waits a few
milliseconds more is not noticed beside its model call.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


def worker_command(parent_pid: int) -> list[str]:
    return [sys.executable, "-m", "api.cli", "worker", "--parent-pid", str(parent_pid)]


class WorkerProcesses:
    """``count`` worker processes kept running until :meth:`stop`."""

    def __init__(self, count: int, *, grace_seconds: float, command: Sequence[str] | None = None,
                 max_backoff: float = 30.0, nice: int = 0):
        self.count = count
        self.grace_seconds = grace_seconds
        self.command = list(command or worker_command(os.getpid()))
        self.nice = nice
        self.max_backoff = max_backoff
        self.children: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """What ``/health`` reports: every worker process alive."""
        return len(self.children) == self.count and all(c.poll() is None for c in self.children)

    @property
    def pids(self) -> list[int]:
        return [c.pid for c in self.children]

    def start(self) -> None:
        self.children = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, name="worker-processes", daemon=True)
        self._watcher.start()
        log.info("started %d job worker process(es): pids %s", self.count, self.pids)

    def _spawn(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self.command, stdin=subprocess.DEVNULL)  # noqa: S603 - our own CLI
        if self.nice:
            # Set from here, at once: the child's own start-up (imports, the pool) yields too.
            try:
                os.setpriority(os.PRIO_PROCESS, child.pid,
                               os.getpriority(os.PRIO_PROCESS, 0) + self.nice)
            except OSError as exc:  # exited already, or a platform without priorities
                log.warning("could not lower job worker %d's priority: %s", child.pid, exc)
        return child

    def _watch(self) -> None:
        """Restart a worker that exited on its own; the back-off doubles while they keep dying."""
        backoff = 1.0
        while not self._stopping.wait(1.0):
            for i, child in enumerate(self.children):
                code = child.poll()
                if code is None or self._stopping.is_set():
                    continue
                log.error("job worker process %d exited with %s; restarting in %.0f s",
                          child.pid, code, backoff)
                if self._stopping.wait(backoff):
                    return
                self.children[i] = self._spawn()
                backoff = min(self.max_backoff, backoff * 2)

    def stop(self) -> None:
        """SIGTERM to every worker, wait for them (they drain within the grace period), then
        SIGKILL whatever is left."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=self.grace_seconds + 5)
            except subprocess.TimeoutExpired:
                log.warning("job worker process %d did not stop in time: killing it", child.pid)
                child.kill()
                child.wait()
