"""Blob storage for user files: local filesystem (default) or Supabase Storage.

Objects are addressed by keys ``users/{user_id}/files/{file_id}/{safe_name}``. Writes take an
async byte stream so an upload is never held whole in memory.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from uuid import UUID

import httpx

from ignacio_agents.errors import NotFound, Unavailable

CHUNK = 256 * 1024


class BlobNotFound(NotFound):
    """No stored object under ``key`` (kept on the error for logs; the message never names it)."""

    def __init__(self, key: str) -> None:
        super().__init__("file not found")
        self.key = key


class StorageUnavailable(Unavailable):
    code = "storage_unavailable"
    default_message = "The file storage is unavailable."


class BlobStore(Protocol):
    async def put(self, key: str, data: AsyncIterator[bytes], content_type: str) -> int:
        """Store the stream under ``key``; return the number of bytes written."""
        ...

    def get(self, key: str) -> AsyncIterator[bytes]:
        """Stream the object's bytes (raises ``BlobNotFound``)."""
        ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def close(self) -> None: ...


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_name(name: str, default: str = "file") -> str:
    """A file name safe as the last path segment: no traversal, no control characters."""
    name = unicodedata.normalize("NFKD", name or "")
    name = name.encode("ascii", "ignore").decode()
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    name = re.sub(r"_+", "_", name)
    if not name or set(name) <= {"."}:
        name = default
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:120]
    return name


def file_key(user_id: UUID, file_id: UUID, name: str) -> str:
    return f"users/{user_id}/files/{file_id}/{safe_name(name)}"


async def iter_bytes(data: bytes, size: int = CHUNK) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _check_key(key: str) -> None:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError("invalid object key")


class LocalBlobStore:
    """Files under a root directory; writes go to a temp file renamed into place (atomic)."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        _check_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("invalid object key")
        return path

    async def put(self, key: str, data: AsyncIterator[bytes], content_type: str) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        fd, tmp = await asyncio.to_thread(tempfile.mkstemp, dir=path.parent, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                async for chunk in data:
                    size += len(chunk)
                    await asyncio.to_thread(fh.write, chunk)
            await asyncio.to_thread(os.replace, tmp, path)
        except BaseException:
            await asyncio.to_thread(_unlink, Path(tmp))
            raise
        return size

    async def get(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            fh = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        try:
            while chunk := await asyncio.to_thread(fh.read, CHUNK):
                yield chunk
        finally:
            fh.close()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(_unlink, path)
        # Remove now-empty per-file folders so deleted users leave nothing behind.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def close(self) -> None:
        return None


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


class SupabaseBlobStore:
    """Supabase Storage (private bucket) through ``storage3``'s async client.

    ``storage3`` handles the bucket, removal, existence and signed URLs. Its upload/download
    take or return whole ``bytes``, so the two byte-moving calls use the same HTTP client to
    stream the body instead: a 25 MB file never sits in memory. The content type is always
    passed (Supabase would store ``text/plain`` otherwise). ``http_client`` is injectable, which
    is how tests replay recorded Storage REST exchanges.
    """

    def __init__(
        self, url: str, service_key: str, bucket: str, *, http_client: httpx.AsyncClient | None = None
    ):
        from storage3 import AsyncStorageClient

        self.base = url.rstrip("/") + "/storage/v1"
        self.bucket = bucket
        self._headers = {"apikey": service_key, "Authorization": f"Bearer {service_key}"}
        self._client = http_client or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0))
        self._storage = AsyncStorageClient(self.base + "/", self._headers, http_client=self._client)
        self._bucket_ready = False

    async def ensure_bucket(self) -> None:
        """Create the private bucket if it does not exist (once per process, on first write)."""
        from storage3.exceptions import StorageApiError

        try:
            await self._storage.create_bucket(self.bucket, options={"public": False})
        except StorageApiError as exc:  # already exists
            if "exist" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                raise
        self._bucket_ready = True

    def _object_url(self, key: str) -> str:
        _check_key(key)
        return f"{self.base}/object/{self.bucket}/{key}"

    async def put(self, key: str, data: AsyncIterator[bytes], content_type: str) -> int:
        if not self._bucket_ready:
            await self.ensure_bucket()
        size = 0

        async def counting() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in data:
                size += len(chunk)
                yield chunk

        resp = await self._client.post(
            self._object_url(key),
            headers={**self._headers, "content-type": content_type, "x-upsert": "true",
                     "cache-control": "max-age=3600"},
            content=counting(),
        )
        resp.raise_for_status()
        return size

    async def get(self, key: str) -> AsyncIterator[bytes]:
        async with self._client.stream("GET", self._object_url(key), headers=self._headers) as resp:
            if resp.status_code in (400, 404):
                raise BlobNotFound(key)
            resp.raise_for_status()
            async for chunk in resp.aiter_bytes(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        _check_key(key)
        await self._storage.from_(self.bucket).remove([key])

    async def exists(self, key: str) -> bool:
        _check_key(key)
        return await self._storage.from_(self.bucket).exists(key)

    async def signed_url(self, key: str, expires_in: int = 60) -> str:
        _check_key(key)
        try:
            signed = await self._storage.from_(self.bucket).create_signed_url(key, expires_in)
            return str(signed["signedURL"])
        except Exception as exc:  # any failure of the outside service: transport, API, shape
            raise StorageUnavailable() from exc

    async def close(self) -> None:
        await self._client.aclose()


def open_blob_store(settings) -> BlobStore:  # type: ignore[no-untyped-def]
    if settings.storage_backend == "supabase":
        return SupabaseBlobStore(
            settings.secret("supabase_url"), settings.secret("supabase_service_key"),
            settings.storage_bucket,
        )
    return LocalBlobStore(settings.data_dir / "blobs")
