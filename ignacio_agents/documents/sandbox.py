"""Run a reader in a throw-away child process with a timeout and a memory ceiling.

Why a process: parsers are C-accelerated and recursive (lxml, zlib, pypdf's object graph); a
hostile file can make them allocate gigabytes or loop, and a thread cannot be stopped. A child
can be killed, and its ``RLIMIT_AS`` turns a runaway allocation into a ``MemoryError`` there
instead of the OOM killer picking the server.

Why a fresh interpreter per file (``python -m ignacio_agents.documents.sandbox``) rather than
multiprocessing (spawn, forkserver or a pool):

* nothing survives a bad file: no poisoned pool worker to detect and replace, the limits apply
  to exactly one parse, and killing the child is always safe;
* multiprocessing's spawn and forkserver children re-run the program's ``__main__`` (for the
  ``ignacio`` console script that means importing the whole app) because forkserver's
  ``__main__`` preload is broken in CPython 3.11, and ``fork`` is unsafe in a threaded server;
* results come back as JSON, not pickle: a child exploited by a hostile file must not be able
  to make the server run code.

The price is ~0.1-0.3 s per file (interpreter start plus the one parser library the format
needs), small next to a background job's other costs. Concurrency is bounded by the caller (the
job worker's concurrency). ``RLIMIT_CPU`` sits a little above the timeout as a backstop: if the
server dies before it can kill the child, the kernel still ends it.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from ignacio_agents.errors import IgnacioError

from .limits import Limits
from .results import Extraction

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding ignacio_agents/
_CHILD = (sys.executable, "-m", "ignacio_agents.documents.sandbox")
_STDERR_TAIL = 400
_SIGXCPU = int(getattr(signal, "SIGXCPU", 24))


class ChildFailed(IgnacioError):
    """The child gave no result. ``kind``: timeout | memory | crashed | error."""

    code = "reader_failed"

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def run_reader(path: Path, extension: str, limits: Limits, timeout: float) -> Extraction:
    """``readers.read_document`` in a child; raises ``ChildFailed``. Blocks up to ``timeout``."""
    request = _request(path, extension, limits, timeout)
    with subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        _CHILD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_child_env(), start_new_session=True,
    ) as child:
        try:
            out, err = child.communicate(request, timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise ChildFailed("timeout", f"no result after {timeout:g} s") from None
        except BaseException:
            child.kill()
            raise
    return _result(out, err, child.returncode)


async def run_reader_async(
    path: Path, extension: str, limits: Limits, timeout: float  # noqa: ASYNC109 - child budget
) -> Extraction:
    """``run_reader`` on the event loop (no thread); cancelling it kills the child."""
    import asyncio  # here, so the child (which runs this module) does not import it

    request = _request(path, extension, limits, timeout)
    child = await asyncio.create_subprocess_exec(
        *_CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=_child_env(), start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(request), timeout)
    except TimeoutError:
        raise ChildFailed("timeout", f"no result after {timeout:g} s") from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return _result(out, err, child.returncode)


def _request(path: Path, extension: str, limits: Limits, timeout: float) -> bytes:
    if limits.seconds is None:
        limits = replace(limits, seconds=timeout * 0.75)  # keep what was read, in time
    return json.dumps({
        "path": str(Path(path).resolve()),
        "extension": extension,
        "limits": asdict(limits),
        "cpu_seconds": math.ceil(timeout) + 5,
    }).encode()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _result(out: bytes, err: bytes, code: int) -> Extraction:
    try:
        reply = json.loads(out)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        tail = err.decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        detail = _describe_exit(code) + (f"; {tail}" if tail else "")
        if "MemoryError" in tail:
            raise ChildFailed("memory", detail)
        if code == -_SIGXCPU:  # the RLIMIT_CPU backstop fired
            raise ChildFailed("timeout", detail)
        raise ChildFailed("crashed", detail)
    if reply.get("ok") is True:
        try:
            return Extraction.from_json(reply["extraction"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ChildFailed("error", f"malformed result: {exc}") from None
    raise ChildFailed(str(reply.get("kind", "error")), str(reply.get("detail", ""))[:500])


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


# --- the child side ---------------------------------------------------------------------------


def _child_main() -> None:
    """Read the request, limit ourselves, run the reader, write one JSON reply, exit."""
    request = json.loads(sys.stdin.buffer.read())
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # parsers that print must not corrupt the reply
    import logging

    logging.disable(logging.CRITICAL)
    from .readers import import_parser, read_document

    extension = request["extension"]
    import_parser(extension)  # before the limit, so the budget is the parser's alone
    _limit_resources(request["limits"]["memory_bytes"], request["cpu_seconds"])
    os.dup2(devnull, 2)  # from here on, only the reply speaks
    try:
        extraction = read_document(Path(request["path"]), extension, Limits(**request["limits"]))
        reply: dict[str, Any] = {"ok": True, "extraction": extraction.to_json()}
    except MemoryError:
        reply = {"ok": False, "kind": "memory", "detail": "memory limit reached"}
    except RecursionError:
        reply = {"ok": False, "kind": "error", "detail": "structure nested too deeply"}
    except Exception as exc:
        reply = {"ok": False, "kind": "error", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    try:
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except MemoryError:
        data = b'{"ok": false, "kind": "memory", "detail": "memory limit reached"}'
    with os.fdopen(reply_fd, "wb") as out:
        out.write(data)


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not a Unix: only the parent's timeout protects us
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY or cpu_hard > cpu_seconds + 5:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    # Address space: what the interpreter and the parser library already map, plus the budget.
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + memory_bytes
    if as_hard != resource.RLIM_INFINITY:
        limit = min(limit, as_hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, as_hard))


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 512 * 1024 * 1024  # a conservative guess for the interpreter + libraries


if __name__ == "__main__":
    _child_main()
