"""Both blob backends round-trip a 25 MB object without holding it in memory.

The Supabase backend runs against recorded Storage REST responses replayed by an
``httpx.MockTransport`` (the outside service's HTTP boundary); uploaded bytes are spooled to disk
by the replayer so nothing in the test holds the object whole either.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote
from uuid import uuid4

import httpx
import pytest

from ignacio_agents.blobs import (
    BlobNotFound,
    LocalBlobStore,
    SupabaseBlobStore,
    file_key,
    safe_name,
)

RECORDED = json.loads((Path(__file__).parent / "recordings" / "supabase_storage.json").read_text())
SIZE = 25 * 1024 * 1024
CHUNK = 256 * 1024


async def pattern_stream(size: int = SIZE) -> AsyncIterator[bytes]:
    block = hashlib.sha256(b"ignacio").digest() * (CHUNK // 32)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


async def digest_of(stream: AsyncIterator[bytes]) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    async for chunk in stream:
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


class RecordedStorage:
    """Replays recorded Supabase Storage responses; keeps uploaded objects on disk."""

    def __init__(self, root: Path):
        self.root = root
        self.objects: dict[str, tuple[Path, str]] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.bucket_created = False

    def _recorded(self, name: str, key: str = "", status: int | None = None) -> httpx.Response:
        rec = RECORDED[name]
        body = json.loads(json.dumps(rec["body"]).replace("{key}", key))
        return httpx.Response(status or rec["status"], json=body)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        self.calls.append((request.method, path, dict(request.headers)))
        assert request.headers["apikey"] == "service-key"
        assert request.headers["authorization"] == "Bearer service-key"
        prefix = "/storage/v1/object/ignacio-files/"
        if request.method == "POST" and path == "/storage/v1/bucket":
            if self.bucket_created:
                return self._recorded("create_bucket_exists")
            self.bucket_created = True
            assert json.loads(await request.aread())["public"] is False
            return self._recorded("create_bucket")
        if request.method == "POST" and path.startswith(prefix):
            key = path.removeprefix(prefix)
            target = self.root / hashlib.sha1(key.encode()).hexdigest()  # noqa: S324
            with target.open("wb") as fh:
                async for chunk in request.stream:  # type: ignore[union-attr]
                    fh.write(chunk)
            self.objects[key] = (target, request.headers["content-type"])
            return self._recorded("upload", key)
        if request.method in ("GET", "HEAD") and path.startswith(prefix):
            key = path.removeprefix(prefix)
            if key not in self.objects:
                return self._recorded("download_missing", key)
            target, ctype = self.objects[key]
            if request.method == "HEAD":
                return httpx.Response(200, headers={"content-type": ctype})

            async def body() -> AsyncIterator[bytes]:
                with target.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        yield chunk

            return httpx.Response(200, headers={"content-type": ctype}, content=body())
        info_prefix = "/storage/v1/object/info/ignacio-files/"
        if request.method == "GET" and path.startswith(info_prefix):
            key = path.removeprefix(info_prefix)
            return self._recorded("info" if key in self.objects else "info_missing", key)
        if request.method == "DELETE" and path == "/storage/v1/object/ignacio-files":
            for key in json.loads(await request.aread())["prefixes"]:
                target, _ = self.objects.pop(key)
                target.unlink()
            return self._recorded("remove", key)
        if request.method == "POST" and path.startswith("/storage/v1/object/sign/ignacio-files/"):
            return self._recorded("sign", path.removeprefix("/storage/v1/object/sign/ignacio-files/"))
        return httpx.Response(404, json={"error": "unexpected call"})


class StreamingReplayTransport(httpx.AsyncBaseTransport):
    """Like ``httpx.MockTransport`` but without reading the request body up front, so a
    streamed upload reaches the replayer chunk by chunk."""

    def __init__(self, handler):  # type: ignore[no-untyped-def]
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.handler(request)


@pytest.fixture
def recorded(tmp_path: Path) -> RecordedStorage:
    return RecordedStorage(tmp_path)


@pytest.fixture
async def supabase_store(recorded: RecordedStorage) -> AsyncIterator[SupabaseBlobStore]:
    client = httpx.AsyncClient(transport=StreamingReplayTransport(recorded.handler))
    store = SupabaseBlobStore("https://proj.supabase.co", "service-key", "ignacio-files",
                              http_client=client)
    yield store
    await store.close()


async def _roundtrip_peak(store, key: str) -> tuple[str, int, int]:
    tracemalloc.start()
    try:
        written = await store.put(key, pattern_stream(), "application/pdf")
        digest, size = await digest_of(store.get(key))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == SIZE
    return digest, size, peak


async def test_local_backend_roundtrips_25mb_streaming(tmp_path: Path):
    store = LocalBlobStore(tmp_path / "blobs")
    key = file_key(uuid4(), uuid4(), "deck.pdf")
    expected, _ = await digest_of(pattern_stream())
    digest, size, peak = await _roundtrip_peak(store, key)
    assert (digest, size) == (expected, SIZE)
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert await store.exists(key)
    await store.delete(key)
    assert not await store.exists(key)
    assert list((tmp_path / "blobs").iterdir()) == []  # empty folders are pruned too
    with pytest.raises(BlobNotFound):
        await digest_of(store.get(key))


async def test_supabase_backend_roundtrips_25mb_streaming(supabase_store: SupabaseBlobStore,
                                                          recorded: RecordedStorage):
    await supabase_store.ensure_bucket()
    await supabase_store.ensure_bucket()  # second call: "already exists" is fine
    key = file_key(uuid4(), uuid4(), "deck.pdf")
    expected, _ = await digest_of(pattern_stream())
    digest, size, peak = await _roundtrip_peak(supabase_store, key)
    assert (digest, size) == (expected, SIZE)
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    upload = next(c for c in recorded.calls if c[0] == "POST" and key in c[1])
    assert upload[2]["content-type"] == "application/pdf"
    assert await supabase_store.exists(key)
    signed = await supabase_store.signed_url(key, 60)
    assert signed.startswith("https://proj.supabase.co/storage/v1/object/sign/") and "token=" in signed
    await supabase_store.delete(key)
    assert not await supabase_store.exists(key)
    with pytest.raises(BlobNotFound):
        await digest_of(supabase_store.get(key))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..", "file"),
        ("plan\x00\x1f.pdf", "plan_.pdf"),
        ("C:\\Users\\ana\\presupuesto año.xlsx", "presupuesto ano.xlsx"),
        ("", "file"),
    ],
)
def test_safe_name_blocks_traversal_and_control_characters(raw: str, expected: str):
    assert safe_name(raw) == expected


async def test_local_store_rejects_keys_escaping_its_root():
    store = LocalBlobStore(Path(tempfile.mkdtemp()))

    async def one() -> AsyncIterator[bytes]:
        yield b"x"

    with pytest.raises(ValueError):
        await store.put("users/../../escape", one(), "text/plain")
