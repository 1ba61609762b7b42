"""The user's files: upload, list, rules, metadata, download, delete.

Uploads are parsed from the raw request stream (``python_multipart``) instead of FastAPI's
``UploadFile``, which would spool the whole body before the handler runs: here the file part's
bytes flow straight into ``files.ingest``, so a 26 MB upload is answered 413 at the 25 MB + 1st
byte, and memory stays flat. A declared ``Content-Length`` already over the limit is refused
before a byte is read.

Access: the owner, or an admin; anyone else gets 404 (not 403), so ids reveal nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.deps import CurrentUser, RuntimeDep, client_ip
from ignacio_agents.blobs import safe_name
from ignacio_agents.documents.filetypes import SUPPORTED_TYPES
from ignacio_agents.domain import MessageType
from ignacio_agents.errors import MalformedRequest, NotFound
from ignacio_agents.files import FileTooLarge, delete_file, ingest
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.files import UserFile
from ignacio_agents.store.users import StoredUser

router = APIRouter(prefix="/files", tags=["files"])

FILE_FIELD = "file"
MULTIPART_SLACK = 64 * 1024  # boundaries, part headers and small fields around the file
SIGNED_URL_SECONDS = 60


class FileOut(BaseModel):
    """A file as clients see it (never its storage key or hash)."""

    id: UUID
    file_name: str
    file_type: str
    file_size: int
    kind: MessageType
    created_at: datetime
    extraction_status: str
    extraction_error: str | None
    part_count: int | None
    part_label: str | None
    conversation_id: UUID | None
    source: str

    @classmethod
    def of(cls, f: UserFile) -> FileOut:
        return cls.model_validate(f.model_dump(include=set(cls.model_fields)))


class FilePage(BaseModel):
    items: list[FileOut]
    next_cursor: str | None


class FileTypeOut(BaseModel):
    mime: str
    extensions: list[str]
    kind: MessageType
    family: str
    label: str


class FileRules(BaseModel):
    max_bytes: int
    types: list[FileTypeOut]


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [FILE_FIELD],
            "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
        }}},
    }
}


@router.post("/upload", status_code=201, response_model=FileOut, openapi_extra=_UPLOAD_BODY,
             responses={413: {"description": "Larger than the limit"},
                        415: {"description": "Not an accepted file type"}})
async def upload_file(
    request: Request, user: CurrentUser, runtime: RuntimeDep,
    conversation_id: Annotated[UUID | None, Query()] = None,
) -> FileOut:
    """Upload one file (multipart field ``file``); attach it to a conversation if given."""
    max_bytes = runtime.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + MULTIPART_SLACK:
        raise FileTooLarge(max_bytes)
    if conversation_id is not None and await runtime.store.conversations.get(
        conversation_id, user_id=user.id
    ) is None:
        raise NotFound.of("conversation")
    reader = _MultipartFile(request, FILE_FIELD, max_body=max_bytes + MULTIPART_SLACK)
    filename, content_type = await reader.open()
    stored = await ingest(
        runtime, user_id=user.id, filename=filename, stream=reader.body(),
        declared_type=content_type,
        source="conversation" if conversation_id else "web", conversation_id=conversation_id,
    )
    return FileOut.of(stored)


@router.get("", response_model=FilePage)
async def list_files(
    user: CurrentUser, runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FilePage:
    """The signed-in user's files, newest first; pass ``next_cursor`` back for the next page."""
    page = await runtime.store.files.list_for_user(user.id, limit=limit, cursor=cursor)
    return FilePage(items=[FileOut.of(f) for f in page.items], next_cursor=page.next_cursor)


@router.get("/rules", response_model=FileRules)
async def file_rules(_: CurrentUser, runtime: RuntimeDep) -> FileRules:
    """What can be uploaded, for the client's checks before sending (the server checks anyway)."""
    return FileRules(
        max_bytes=runtime.settings.max_upload_bytes,
        types=[FileTypeOut(mime=t.mime, extensions=list(t.extensions), kind=t.kind,
                           family=t.family, label=t.label) for t in SUPPORTED_TYPES],
    )


@router.get("/{file_id}", response_model=FileOut)
async def get_file(file_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> FileOut:
    """A file's metadata, including its extraction status and page/slide/sheet count."""
    return FileOut.of(await _visible_file(runtime, user, file_id))


@router.get("/{file_id}/download", response_model=None, response_class=Response,
            responses={200: {"description": "The file's bytes, with the type it was stored with",
                             "content": {"*/*": {"schema": {"type": "string",
                                                            "format": "binary"}}}},
                       307: {"description": "Redirect to a short-lived signed URL"}})
async def download_file(
    file_id: UUID, user: CurrentUser, runtime: RuntimeDep, request: Request,
    disposition: Annotated[Literal["attachment", "inline"], Query()] = "attachment",
) -> Response:
    """The file's bytes with its stored type (or, on Supabase, a short-lived signed URL).
    Staff downloading someone else's file writes a ``file.download`` audit row."""
    f = await _visible_file(runtime, user, file_id)
    if f.user_id != user.id:
        await runtime.store.audit.record(
            actor_id=user.id, action="file.download", target_type="file", target_id=f.id,
            client_ip=client_ip(request),
            details={"user_id": str(f.user_id), "file_type": f.file_type, "size": f.file_size},
        )
    signed_url = getattr(runtime.blobs, "signed_url", None)
    if runtime.settings.storage_backend == "supabase" and signed_url is not None:
        url = await signed_url(f.file_path, SIGNED_URL_SECONDS)
        return RedirectResponse(url, status_code=307, headers={"cache-control": "no-store"})
    chunks = runtime.blobs.get(f.file_path)
    try:
        first = await anext(chunks)  # before the headers: a missing object is still a 404
    except StopAsyncIteration:
        first = b""
    return StreamingResponse(
        _prepend(first, chunks), media_type=f.file_type,
        headers={
            "content-disposition": content_disposition(f.file_name, disposition),
            "content-length": str(f.file_size),
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "cache-control": "private, no-store",
        },
    )


@router.delete("/{file_id}", status_code=204, response_class=Response)
async def remove_file(file_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Delete the file: its stored object, its extracted text and its row."""
    await delete_file(runtime, await _visible_file(runtime, user, file_id))
    return Response(status_code=204)


# --- helpers ----------------------------------------------------------------------------------


async def _visible_file(runtime: Runtime, user: StoredUser, file_id: UUID) -> UserFile:
    f = await runtime.store.files.get(file_id, user_id=None if user.is_admin else user.id)
    if f is None:
        raise NotFound.of("file")
    return f


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """RFC 6266: an ASCII ``filename`` fallback plus the exact name as ``filename*`` (RFC 5987)."""
    fallback = safe_name(name).replace('"', "").replace("\\", "")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


class BadUpload(MalformedRequest):
    """The request is not a multipart form with a ``file`` part; the message says what to do."""


class _MultipartFile:
    """The one file part of a ``multipart/form-data`` request, read as it arrives.

    ``open()`` reads up to the end of the file part's headers and returns its name and declared
    type; ``body()`` then yields its bytes as the client sends them (slices of the request
    chunks, nothing accumulated). Other fields are skipped; whatever follows the file part is
    never read. The whole body is capped too (``max_body``), so a stream of other fields can't
    go on forever.
    """

    def __init__(self, request: Request, field: str, *, max_body: int) -> None:
        self._request = request
        self._max_body = max_body
        self._read = 0
        self._field = field.encode()
        self._events: deque[tuple[str, bytes]] = deque()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._part_type = b""
        self._in_file = False
        self._parser: MultipartParser | None = None
        self._source: AsyncIterator[bytes] | None = None
        self._finished = False

    async def open(self) -> tuple[str, str | None]:
        ctype, params = parse_options_header(self._request.headers.get("content-type"))
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise BadUpload(f"Send the file as multipart/form-data in a field named "
                             f"'{self._field.decode()}'.")
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        })
        self._source = self._request.stream()
        while (event := await self._next_event()) is not None:
            kind, _ = event
            if kind == "file":
                _, options = parse_options_header(self._disposition)
                raw_name = options.get(b"filename", b"")
                ptype = parse_options_header(self._part_type)[0].decode("latin-1") or None
                return _decode_name(raw_name), ptype
        raise BadUpload(f"The form has no '{self._field.decode()}' field with a file.")

    async def body(self) -> AsyncIterator[bytes]:
        while (event := await self._next_event()) is not None:
            kind, data = event
            if kind == "data":
                yield data
            elif kind == "end":
                return
        raise BadUpload("The upload ended before the file was complete.")

    async def _next_event(self) -> tuple[str, bytes] | None:
        assert self._parser is not None and self._source is not None
        while not self._events:
            if self._finished:
                return None
            try:
                chunk = await anext(self._source)
            except StopAsyncIteration:
                self._finished = True
                continue
            except ClientDisconnect:
                raise BadUpload("The upload was interrupted.") from None
            self._read += len(chunk)
            if self._read > self._max_body:
                raise FileTooLarge(self._max_body - MULTIPART_SLACK)
            if chunk:
                try:
                    self._parser.write(chunk)
                except FormParserError as exc:
                    raise BadUpload(str(exc) or "The upload is not valid form data.") from None
        return self._events.popleft()

    # python_multipart callbacks (they only record what they saw)
    def _on_part_begin(self) -> None:
        self._disposition = self._part_type = b""
        self._in_file = False

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._header_name.strip().lower()
        if name == b"content-disposition":
            self._disposition = self._header_value
        elif name == b"content-type":
            self._part_type = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._in_file = options.get(b"name") == self._field
        if self._in_file:
            self._events.append(("file", b""))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and end > start:
            self._events.append(("data", data[start:end]))

    def _on_part_end(self) -> None:
        if self._in_file:
            self._events.append(("end", b""))
            self._in_file = False

    def _on_end(self) -> None:
        self._finished = True


def _decode_name(raw: bytes) -> str:
    """Browsers send the file name as raw UTF-8 (the header parser hands it over as latin-1),
    with '"', CR and LF escaped as %22, %0D and %0A (the HTML form-data rules): undo both."""
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = raw.decode("latin-1")
    return name.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
