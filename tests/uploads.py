"""Helpers shared by the file tests: upload through the API, run the queued jobs, stream bodies."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from ignacio_agents.jobs import worker_options

BOUNDARY = "ignacio-test-boundary-7d1f"


async def upload(client: Any, headers: dict[str, str], name: str, data: bytes,
                 content_type: str = "application/octet-stream", **params: Any) -> httpx.Response:
    return await client.post("/files/upload", headers=headers, params=params,
                             files={"file": (name, data, content_type)})


async def run_jobs(runtime: Any, rounds: int = 100) -> None:
    """Run every queued ``files:`` job to completion, with workers that stop once the queue is
    empty. In rounds, because a worker also stops when one of its side tasks fails (see the
    note on ``ignacio_agents.jobs.core`` in the files report): jobs it left are picked up by
    the next round."""
    for _ in range(rounds):
        await runtime.jobs.run_worker_async(**worker_options(runtime, wait=False, concurrency=2))
        if await queued_file_jobs(runtime) == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("file jobs are still queued")


async def queued_file_jobs(runtime: Any) -> int:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(
            "select count(*) as n from procrastinate_jobs where task_name like 'files:%%'"
            " and status in ('todo', 'doing') and (scheduled_at is null or scheduled_at <= now())")
        return (await cur.fetchone())["n"]


def blob_files(settings: Any) -> list[Path]:
    """Every file under the local blob store, temp files included."""
    root = settings.data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def temp_files(settings: Any) -> list[Path]:
    root = settings.data_dir / "tmp"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pattern_block(size: int = 256 * 1024) -> bytes:
    return (hashlib.sha256(b"ignacio").digest() * (size // 32 + 1))[:size]


async def multipart_body(name: str, head: bytes, total: int, *, chunk: int = 64 * 1024,
                         content_type: str = "text/plain") -> AsyncIterator[bytes]:
    """A multipart body whose file part is ``head`` followed by filler up to ``total`` bytes,
    generated piece by piece (the test never holds the body whole)."""
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
           f"Content-Type: {content_type}\r\n\r\n").encode()
    yield head
    block = (b"All work and no play makes a fine budget line.\n" * (chunk // 48 + 1))[:chunk]
    left = total - len(head)
    while left > 0:
        piece = block[: min(chunk, left)]
        left -= len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_length(name: str, head: bytes, total: int, content_type: str = "text/plain") -> int:
    preamble = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
    return len(preamble.encode()) + total + len(f"\r\n--{BOUNDARY}--\r\n")


def multipart_headers(auth: dict[str, str], length: int | None = None) -> dict[str, str]:
    headers = {**auth, "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if length is not None:
        headers["content-length"] = str(length)
    return headers
