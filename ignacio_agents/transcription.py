"""Voice notes and audio files to text, through OpenAI's transcription API.

Any OpenAI-compatible server works (``OPENAI_BASE_URL``: a local whisper server, a proxy): the
request is the documented ``POST {base}/audio/transcriptions`` multipart form with ``model`` =
``TRANSCRIPTION_MODEL``. The audio is streamed from a temp file, never held whole in memory.

``transcribe(runtime, file)`` is what the engine and the transcription job call: it returns the
stored transcript when there is one, and otherwise transcribes once and stores it (with search
chunks, so ``search_files`` finds what was said). A Postgres advisory lock per file makes the job
and a turn that both want the transcript share one API call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ignacio_agents.blobs import BlobNotFound
from ignacio_agents.documents.chunk import chunk_parts
from ignacio_agents.documents.results import Part
from ignacio_agents.domain import MessageType
from ignacio_agents.errors import Unavailable
from ignacio_agents.settings import Settings
from ignacio_agents.store.files import ChunkIn, UserFile

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
TIMEOUT = httpx.Timeout(300.0, connect=10.0)  # long audio takes a while to transcribe
TRANSCRIPT_PART = "transcript"

NOT_CONFIGURED_MESSAGE = (
    "Voice notes and audio can't be transcribed here because no transcription service is "
    "configured, so I can't listen to this one. Please write your message instead."
)


class TranscriptionError(Unavailable):
    """Transcription did not produce text; ``str(exc)`` is safe to show (never the key).

    ``retryable`` is True for what may pass on its own (timeouts, 429, 5xx, network).
    """

    code = "transcription_failed"

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class TranscriptionNotConfigured(TranscriptionError):
    code = "transcription_not_configured"

    def __init__(self) -> None:
        super().__init__(NOT_CONFIGURED_MESSAGE)


async def transcribe(runtime: Runtime, file: UserFile) -> str:
    """The file's transcript: stored, or transcribed now and stored (once per file).

    Raises ``TranscriptionNotConfigured`` without a key, ``TranscriptionError`` when the
    service fails (the file is then marked ``failed`` with the reason), ``ValueError`` for a
    file that is not audio.
    """
    if file.kind is not MessageType.audio:
        raise ValueError("only audio files can be transcribed")
    if file.transcript is not None:
        return file.transcript
    if not runtime.settings.transcription_configured:
        raise TranscriptionNotConfigured()
    files = runtime.store.files
    async with _file_lock(runtime, file):
        current = await files.get(file.id)
        if current is None:
            raise TranscriptionError("The audio file was deleted.")
        if current.transcript is not None:
            return current.transcript
        await files.set_extraction(file.id, "running")
        try:
            text = await _transcribe_stored(runtime, current)
        except TranscriptionError as exc:
            await files.set_extraction(file.id, "failed", error=str(exc))
            raise
        await files.set_transcript(file.id, text)
        chunks = chunk_parts([Part(TRANSCRIPT_PART, TRANSCRIPT_PART, text)]) if text.strip() else []
        await files.replace_chunks(file.id, file.user_id, [
            ChunkIn(ordinal=c.ordinal, part=c.part, location=c.location, content=c.content)
            for c in chunks
        ])
        note = None if text.strip() else "No speech was recognised in the recording."
        await files.set_extraction(file.id, "done", error=note)
    log.info("transcribed file %s (%d characters)", file.id, len(text))
    return text


async def transcribe_audio(
    settings: Settings, path: Path, *, filename: str, content_type: str,
    client: httpx.AsyncClient | None = None,
) -> str:
    """Send the audio at ``path`` to the transcription endpoint and return its text."""
    if settings.openai_api_key is None:
        raise TranscriptionNotConfigured()
    base = (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {settings.openai_api_key.get_secret_value()}"}
    form = {"model": settings.transcription_model, "response_format": "json"}
    owned = client is None
    http = client or httpx.AsyncClient(timeout=TIMEOUT)
    try:
        with path.open("rb") as fh:
            response = await http.post(
                f"{base}/audio/transcriptions", headers=headers, data=form,
                files={"file": (filename, fh, content_type)},
            )
    except httpx.TimeoutException:
        raise TranscriptionError("The transcription service took too long to answer.",
                                 retryable=True) from None
    except httpx.HTTPError as exc:
        raise TranscriptionError(
            f"The transcription service could not be reached ({type(exc).__name__}).",
            retryable=True,
        ) from None
    finally:
        if owned:
            await http.aclose()
    return _text_of(response)


def _text_of(response: httpx.Response) -> str:
    status = response.status_code
    if status == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if isinstance(text, str):
            return text.strip()
        raise TranscriptionError("The transcription service answered without any text.")
    detail = _error_detail(response)
    if status in (401, 403):
        raise TranscriptionError("The transcription service refused our credentials "
                                 "(check OPENAI_API_KEY).")
    if status == 404:
        raise TranscriptionError(
            f"The transcription service has no such endpoint or model{detail} "
            "(check OPENAI_BASE_URL and TRANSCRIPTION_MODEL)."
        )
    if status in (408, 409, 429) or status >= 500:
        raise TranscriptionError(f"The transcription service is busy or failing "
                                 f"(HTTP {status}{detail}).", retryable=True)
    raise TranscriptionError(f"The transcription service couldn't process this audio "
                             f"(HTTP {status}{detail}).")


def _error_detail(response: httpx.Response) -> str:
    """The server's own error message, short (OpenAI: ``{"error": {"message": ...}}``)."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    message = body.get("error") if isinstance(body, dict) else None
    if isinstance(message, dict):
        message = message.get("message")
    return f": {str(message)[:200]}" if message else ""


async def _transcribe_stored(runtime: Runtime, file: UserFile) -> str:
    from ignacio_agents.files import spool_blob

    try:
        path = await spool_blob(runtime, file.file_path, file.file_type)
    except BlobNotFound:
        raise TranscriptionError("The stored audio file is missing.") from None
    try:
        return await transcribe_audio(runtime.settings, path, filename=file.file_name,
                                      content_type=file.file_type)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


@contextlib.asynccontextmanager
async def _file_lock(runtime: Runtime, file: UserFile) -> AsyncIterator[None]:
    """A session advisory lock on the file, held on one pooled connection for the call."""
    key = f"ignacio:transcribe:{file.id}"
    async with runtime.db.connection() as conn:
        await conn.execute("select pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        try:
            yield
        finally:
            try:
                await conn.execute("select pg_advisory_unlock(hashtextextended(%s, 0))", (key,))
            except BaseException:
                # A connection that may still hold the lock must not go back to the pool.
                await conn.close()
                raise
