"""A 25 MB upload through the real app does not hold the file in memory.

The body is generated piece by piece and sent through the in-process ASGI app; ``tracemalloc``
records the peak of Python allocations (both the server and the test client live in this
process, so the figure is an upper bound for the server). The figure is printed (``-s``) so it
can be reported; the assertion is "well under 25 MB".
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

from ignacio_agents import tokens
from tests.uploads import blob_files, multipart_body, multipart_headers, temp_files

MiB = 1024 * 1024


async def test_a_25_mb_upload_keeps_memory_flat(client: Any, make_user: Any,
                                                auth_headers: Any) -> None:
    user = await make_user("Ana")
    headers = multipart_headers(await auth_headers(user))
    total = client.runtime.settings.max_upload_bytes  # exactly the limit: accepted
    assert total == 25 * MiB
    head = b"Budget notes for the pilot.\n"

    def body() -> AsyncIterator[bytes]:
        return multipart_body("notes.txt", head, total)

    await client.get("/health")  # warm the app's lazy paths before measuring
    # The engine loads its tokenizer in a background thread at start-up (some 30 MB of Python
    # objects): wait for it, or its load would be counted as the upload's.
    await asyncio.to_thread(tokens.encoding, client.runtime.engine.encoding_name)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        resp = await client.post("/files/upload", headers=headers, content=body())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    raised = peak - baseline
    print(f"\n25 MB upload: peak Python memory +{raised / MiB:.2f} MiB over baseline")

    assert resp.status_code == 201, resp.text
    assert resp.json()["file_size"] == total
    assert raised < 6 * MiB  # flat: a quarter of the file size would already be a regression

    # The stored object is the whole file, byte for byte, and its hash is recorded.
    stored = await client.runtime.store.files.get(resp.json()["id"])
    expected = await _file_part_sha256(head, total)
    got = hashlib.sha256()
    async for chunk in client.runtime.blobs.get(stored.file_path):
        got.update(chunk)
    assert got.digest() == stored.content_sha256 == expected
    assert len(blob_files(client.runtime.settings)) == 1
    assert temp_files(client.runtime.settings) == []


async def _file_part_sha256(head: bytes, total: int) -> bytes:
    """The hash of the file part alone: every generated piece but the framing at both ends."""
    digest = hashlib.sha256()
    held: bytes | None = None  # one piece behind, so the closing boundary is never hashed
    async for index, piece in _enumerate(multipart_body("notes.txt", head, total)):
        if held is not None:
            digest.update(held)
        held = piece if index > 0 else None  # index 0 is the part's headers
    return digest.digest()


async def _enumerate(pieces: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    index = 0
    async for piece in pieces:
        yield index, piece
        index += 1
