"""Extract a stored file's text, safely: the entry point the extraction job calls.

``extract`` / ``extract_async`` never raise for a bad file: every outcome is an ``Extraction``
(done, unreadable, failed with a user-facing reason, or not_applicable for media). The parse
itself runs in a sandboxed child process (see ``sandbox``) so a broken or hostile file costs
at most ``timeout`` seconds and ``Limits.memory_bytes`` of memory, never the server.

Pass the MIME type ``sniff_file`` decided at upload (aliases and parameters are accepted).
Images, audio and video are ``not_applicable`` and legacy DOC/PPT ``unreadable`` without
starting a child.
"""

from __future__ import annotations

from pathlib import Path

from .filetypes import FileTypeInfo, type_for_mime
from .limits import DEFAULT_LIMITS, Limits
from .results import Extraction, ExtractionStatus
from .sandbox import ChildFailed, run_reader, run_reader_async

DEFAULT_TIMEOUT = 30.0


def extract(
    path: Path, mime: str, *, timeout: float = DEFAULT_TIMEOUT, limits: Limits = DEFAULT_LIMITS
) -> Extraction:
    """The text of the file at ``path`` in citable parts. Blocks up to ``timeout`` seconds."""
    info = _readable(path, mime)
    if isinstance(info, Extraction):
        return info
    try:
        return run_reader(path, info.extension, limits, timeout)
    except ChildFailed as exc:
        return Extraction.failed(_reason(exc, timeout))


async def extract_async(
    path: Path,
    mime: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the child's budget, not an await timeout
    limits: Limits = DEFAULT_LIMITS,
) -> Extraction:
    """``extract`` without blocking the event loop (no thread either); cancelling it kills the
    child at once.

    ``timeout`` bounds the parse and becomes a ``failed`` result with a reason (an outer
    ``asyncio.timeout`` would work too, but raises instead of returning that result).
    """
    info = _readable(path, mime)
    if isinstance(info, Extraction):
        return info
    try:
        return await run_reader_async(path, info.extension, limits, timeout)
    except ChildFailed as exc:
        return Extraction.failed(_reason(exc, timeout))


def _readable(path: Path, mime: str) -> FileTypeInfo | Extraction:
    """The type to read, or the answer when there is nothing to read."""
    info = type_for_mime(mime)
    if info is None:
        return Extraction.failed(f"Files of type '{mime}' can't be read.")
    if not info.has_text:
        return Extraction(ExtractionStatus.not_applicable)
    if not info.readable:
        return Extraction(
            ExtractionStatus.unreadable,
            part_label=info.part_label,
            reason=(
                f"{info.label}s (.{info.extension}) are stored but can't be read. Save it as "
                f".{info.extension}x and upload it again so I can read it."
            ),
        )
    if not Path(path).is_file():
        return Extraction.failed("The stored file is missing.")
    return info

def _reason(exc: ChildFailed, timeout: float) -> str:
    if exc.kind == "timeout":
        return (f"Reading the file took longer than {timeout:g} seconds, so it was stopped "
                "(it is too complex or may be malformed on purpose).")
    if exc.kind == "memory":
        return ("Reading the file needed more memory than allowed, so it was stopped "
                "(it is too large or may be malformed on purpose).")
    if exc.kind == "cancelled":
        return "Reading the file was cancelled."
    if exc.kind == "crashed":
        return f"The reader crashed on this file; it is probably damaged ({exc.detail})."
    return f"The file couldn't be read; it is probably damaged ({exc.detail[:200]})."
