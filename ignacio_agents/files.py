"""The one way a file enters Ignacio: web uploads, conversation attachments and channel media
(e.g. WhatsApp).

``ingest`` spools the incoming bytes to a private temp file while hashing and counting them
(stopping the moment the size limit is crossed), decides the type from the content, stores the
object under ``users/{user_id}/files/{file_id}/{safe_name}`` with that type, creates the
``user_files`` row and hands the slow work to a background job: text extraction for documents,
transcription for audio (when configured). Images and video have nothing to extract.

Why a temp file rather than piping straight into the blob store: the type can only be decided
once the whole file is there (an Office file's zip directory sits at its end), and nothing may
be left in storage when the upload is refused. The temp file lives under the data directory,
not ``/tmp`` (often a RAM-backed tmpfs), so memory stays flat whatever the file size.

Re-uploading bytes the user already uploaded reuses the earlier extraction (same content hash):
the chunks are copied, nothing is parsed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO
from uuid import UUID, uuid4

from ignacio_agents.blobs import CHUNK, file_key
from ignacio_agents.documents.filetypes import FileTypeInfo, type_for_mime
from ignacio_agents.documents.sniff import HEAD_BYTES, UnsupportedFileType, sniff, sniff_file
from ignacio_agents.domain import MessageType
from ignacio_agents.errors import TooLarge
from ignacio_agents.store.files import UserFile

if TYPE_CHECKING:
    from ignacio_agents.db import Conn
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

# Where a file came from: the web library ("web"), a web conversation ("conversation"), or the
# name of the channel it arrived on.
Source = str

EXTRACT_TASK = "files:extract_file"
TRANSCRIBE_TASK = "files:transcribe_file"

_WRITE_BUFFER = 256 * 1024  # bytes gathered before one write to the temp file (fewer thread hops)
_MAX_NAME = 255  # user_files.file_name is varchar(255)

__all__ = [
    "FileTooLarge", "Source", "UnsupportedFileType", "delete_file", "display_name", "ingest",
    "open_temp_file", "spool_blob",
]


class FileTooLarge(TooLarge):
    """The upload crossed ``max_upload_bytes``; ``str(exc)`` is a user-facing message."""

    code = "file_too_large"

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        super().__init__(f"The file is larger than the {_megabytes(max_bytes)} limit.")


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


@dataclass(frozen=True, slots=True)
class _Spooled:
    path: Path
    size: int
    sha256: bytes


async def ingest(
    runtime: Runtime,
    *,
    user_id: UUID,
    filename: str,
    stream: AsyncIterator[bytes],
    declared_type: str | None = None,
    source: Source = "web",
    conversation_id: UUID | None = None,
) -> UserFile:
    """Store an uploaded file and start its processing; return its row.

    Raises ``FileTooLarge`` (the stream is not read past the limit) or ``UnsupportedFileType``
    (``reason`` says why); in both cases nothing is left in storage or the database.
    ``declared_type`` (the client's or WhatsApp's MIME type) only names a file that arrives
    without an extension; the content decides the type either way.
    """
    settings = runtime.settings
    name = display_name(filename, declared_type)
    spooled = await _spool(stream, name, settings.max_upload_bytes, _tmp_dir(runtime))
    try:
        info = await asyncio.to_thread(sniff_file, spooled.path, name)
        if _extension(name) is None:
            name = _with_extension(name, info.extension)
        file_id = uuid4()
        key = file_key(user_id, file_id, name)
        await runtime.blobs.put(key, _read_chunks(spooled.path), info.mime)
    finally:
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
    try:
        row = await _create_row(runtime, file_id, user_id, name, key, info, spooled,
                                source, conversation_id)
    except BaseException:
        await _forget(runtime, file_id, key)
        raise
    log.info("stored file %s (%s, %d bytes, %s)", row.id, info.mime, row.file_size, source)
    return row


async def delete_file(runtime: Runtime, file: UserFile) -> None:
    """Remove a file: its row (the text chunks cascade) first, then the stored object.

    In that order so nothing ever points at a missing object; an object whose removal fails is
    logged and left unreachable rather than failing the user's delete.
    """
    await runtime.store.files.delete(file.id)
    try:
        await runtime.blobs.delete(file.file_path)
    except Exception:
        log.exception("could not remove the stored object of deleted file %s", file.id)


def display_name(filename: str | None, declared_type: str | None = None) -> str:
    """The name shown to the user: the last path segment, no control characters, at most 255
    characters; an extensionless name gets the extension of a listed ``declared_type``."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    if not name or set(name) <= {"."}:
        name = "file"
    if _extension(name) is None and declared_type:
        declared = type_for_mime(declared_type)
        if declared is not None:
            name = _with_extension(name, declared.extension)
    if len(name) > _MAX_NAME:
        ext = _extension(name)
        keep = _MAX_NAME - (len(ext) + 1 if ext else 0)
        name = name[:keep] + (f".{ext}" if ext else "")
    return name


# --- spooling ---------------------------------------------------------------------------------


async def _spool(stream: AsyncIterator[bytes], name: str, max_bytes: int, tmp_dir: Path) -> _Spooled:
    """Copy ``stream`` to a temp file, hashing and counting; stop past ``max_bytes``.

    An executable is refused as soon as its first bytes are seen (no need to take 25 MB of it).
    """
    fh, path = await open_temp_file(tmp_dir)
    digest = hashlib.sha256()
    size = 0
    head = b""
    buffer: list[bytes] = []
    buffered = 0
    try:
        async for chunk in stream:
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(max_bytes)
            digest.update(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
                if len(head) >= HEAD_BYTES:
                    _refuse_executable(head, name)
            buffer.append(chunk)
            buffered += len(chunk)
            if buffered >= _WRITE_BUFFER:
                await asyncio.to_thread(fh.write, b"".join(buffer))
                buffer.clear()
                buffered = 0
        if buffer:
            await asyncio.to_thread(fh.write, b"".join(buffer))
        await asyncio.to_thread(fh.close)
    except BaseException:
        fh.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return _Spooled(path, size, digest.digest())


def _refuse_executable(head: bytes, name: str) -> None:
    """Raise early for programs only: other refusals need the whole file to be certain."""
    try:
        sniff(head, name)
    except UnsupportedFileType as exc:
        if exc.reason == "executable":
            raise


async def open_temp_file(tmp_dir: Path, suffix: str = "") -> tuple[BinaryIO, Path]:
    """A new private temp file (binary, write mode) under ``tmp_dir`` and its path."""
    def make() -> tuple[BinaryIO, Path]:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, raw = tempfile.mkstemp(dir=tmp_dir, prefix="ingest-", suffix=suffix)
        return os.fdopen(fd, "wb"), Path(raw)

    return await asyncio.to_thread(make)


async def spool_blob(runtime: Runtime, key: str, mime: str | None = None) -> Path:
    """Copy a stored object to a private temp file (for parsers that need a real file).

    The temp file ends with the canonical extension of ``mime`` (some parsers, openpyxl for
    one, go by the extension). The caller removes it. Raises ``BlobNotFound``.
    """
    info = type_for_mime(mime) if mime else None
    fh, path = await open_temp_file(_tmp_dir(runtime), f".{info.extension}" if info else "")
    try:
        async for chunk in runtime.blobs.get(key):
            await asyncio.to_thread(fh.write, chunk)
        await asyncio.to_thread(fh.close)
    except BaseException:
        fh.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    fh = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(fh.read, CHUNK):
            yield chunk
    finally:
        fh.close()


def _tmp_dir(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "tmp"


# --- the row and what happens next ------------------------------------------------------------


async def _create_row(
    runtime: Runtime, file_id: UUID, user_id: UUID, name: str, key: str, info: FileTypeInfo,
    spooled: _Spooled, source: Source, conversation_id: UUID | None,
) -> UserFile:
    files = runtime.store.files
    twin = None
    if info.has_text:
        twin = await files.find_extracted_twin(user_id, spooled.sha256, excluding=file_id)
        if twin is not None and twin.extraction_status == "failed":
            twin = None  # a failure may have been transient (time budget): read it again
    task: str | None = None
    status = "pending"
    if info.has_text and twin is None:
        task = EXTRACT_TASK
    elif info.kind is MessageType.audio and runtime.settings.transcription_configured:
        task = TRANSCRIBE_TASK
    elif not info.has_text:
        status = "not_applicable"
    async with runtime.db.transaction() as tx:  # the row with its chunks or its job, or nothing
        row = await files.create(
            file_id=file_id, user_id=user_id, file_name=name, file_path=key, file_type=info.mime,
            file_size=spooled.size, kind=info.kind, source=source,
            conversation_id=conversation_id, content_sha256=spooled.sha256,
            extraction_status=status, conn=tx,
        )
        if twin is not None:
            await files.copy_chunks(twin.id, file_id, conn=tx)
            await files.set_extraction(
                file_id, twin.extraction_status, error=twin.extraction_error,
                part_count=twin.part_count, part_label=twin.part_label, conn=tx,
            )
            log.info("file %s reuses the extraction of identical file %s", file_id, twin.id)
            refreshed = await files.get(file_id, conn=tx)
            assert refreshed is not None
            return refreshed
        if task is not None:
            await _defer(runtime, task, file_id, tx)
    return row


async def _defer(runtime: Runtime, task_name: str, file_id: UUID, tx: Conn) -> None:
    if task_name not in runtime.jobs.tasks:
        raise RuntimeError(f"the job task {task_name!r} is not registered (files blueprint missing)")
    await runtime.jobs.configure_task(task_name, connection=tx).defer_async(file_id=str(file_id))


async def _forget(runtime: Runtime, file_id: UUID, key: str) -> None:
    """Undo a failed upload: the object, and the row in case the failure came after its commit
    (a cancellation). Never raises."""
    with contextlib.suppress(Exception):
        await runtime.store.files.delete(file_id)
    with contextlib.suppress(Exception):
        await runtime.blobs.delete(key)


# --- names ------------------------------------------------------------------------------------


def _extension(name: str) -> str | None:
    """The extension as the sniffer reads it ("plan v2.0" has none)."""
    suffix = PurePosixPath(name).suffix.lower()[1:]
    if re.fullmatch(r"[a-z0-9]{1,10}", suffix) and not suffix.isdigit():
        return suffix
    return None


def _with_extension(name: str, extension: str) -> str:
    return f"{name[: _MAX_NAME - len(extension) - 1]}.{extension}"
