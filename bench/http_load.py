"""A closed-loop HTTP/1.1 load generator on raw asyncio streams, cheap enough to share a machine.

httpx spends several times more CPU per request than the servers it measures do: on a 2-core
machine the generator, not the server, was the bottleneck, and both servers' p99 was its queue.
Here each client is one keep-alive connection that sends precomputed request bytes, reads the
head up to ``\\r\\n\\r\\n`` and then exactly ``Content-Length`` body bytes, and sends the next
request only after the answer (no pipelining): ``concurrency`` requests in flight, no more.
A status other than 200 stops the run (a benchmark of error pages measures nothing); a broken
connection is counted in ``errors`` and reopened. uvloop is used when installed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bench.measure import percentile

_HEAD_END = b"\r\n\r\n"
T = TypeVar("T")


class BadStatus(RuntimeError):
    """The server answered something other than 200."""


def request_bytes(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"host: {host}:{port}",
             *(f"{name}: {value}" for name, value in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def post_bytes(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"host: {host}:{port}",
             *(f"{name}: {value}" for name, value in headers.items()),
             f"content-length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _content_length(head: bytes) -> int:
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise BadStatus("an answer without Content-Length (chunked bodies are not read here)")
    end = lowered.find(b"\r\n", at + 17)
    return int(lowered[at + 17:end])


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   request: bytes) -> tuple[int, bytes, bool]:
    """One request on an open connection: its status, body, and whether the server keeps the
    connection open."""
    writer.write(request)
    head = await reader.readuntil(_HEAD_END)
    status = int(head[9:12])
    body = await reader.readexactly(_content_length(head))
    return status, body, b"\r\nconnection: close" not in head.lower()


async def run_load(base_url: str, path: str, headers: dict[str, str], concurrency: int,
                   seconds: float, warmup: int = 3) -> dict[str, float]:
    """``concurrency`` connections, each with one request in flight, for ``seconds`` (after
    ``warmup`` requests on one connection): latency percentiles, throughput, broken
    connections, and this process's own CPU per request (to show the generator stays cheap)."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    request = request_bytes(host, port, path, headers)
    latencies: list[float] = []
    errors = 0

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(host, port)

    reader, writer = await connect()
    for _ in range(warmup):  # caches filled, the route's first-call work done
        status, body, _open = await exchange(reader, writer, request)
        if status != 200:
            raise BadStatus(f"{path} answered {status}: {body[:500]!r}")
    writer.close()

    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await connect()
        try:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                try:
                    status, body, keep_open = await exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    errors += 1  # counted, not hidden: reported as "errors"
                    writer.close()
                    reader, writer = await connect()
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise BadStatus(f"{path} answered {status}: {body[:500]!r}")
                if not keep_open:
                    writer.close()
                    reader, writer = await connect()
        finally:
            writer.close()

    cpu_began, began = time.process_time(), time.perf_counter()
    await asyncio.gather(*[client() for _ in range(concurrency)])
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    return {"n": len(latencies), "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "rps": round(len(latencies) / elapsed, 1), "errors": errors,
            "client_cpu_ms": round(cpu * 1000 / max(len(latencies), 1), 3)}


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed (it is with ``uvicorn[standard]``)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
