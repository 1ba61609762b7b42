"""The file types Ignacio accepts (the original spec's list) and how each is named.

One table, so the upload check, the download ``Content-Type`` and the extractor agree on the
canonical MIME type and extension of every type. ``sniff`` decides *which* entry a file is;
this module only knows the entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ignacio_agents.domain import MessageType

from .results import PartLabel

Family = Literal["image", "audio", "video", "document", "presentation", "spreadsheet"]


@dataclass(frozen=True, slots=True)
class FileTypeInfo:
    """A supported file type.

    ``extension`` is canonical and lower case without the dot (``"jpg"``, ``"docx"``);
    ``aliases`` are the other extensions accepted for it (``"jpeg"``). ``kind`` is the message
    type a turn carries (image/audio/video/document); ``family`` is finer (a PPTX is a
    ``presentation`` but its ``kind`` is ``document``). ``part_label`` says how its extracted text
    is addressed (None when there is no text to extract). ``readable`` is False for the legacy
    binary Office formats we store but cannot read.
    """

    extension: str
    mime: str
    kind: MessageType
    family: Family
    label: str
    aliases: tuple[str, ...] = ()
    part_label: PartLabel | None = None
    readable: bool = True

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)

    @property
    def has_text(self) -> bool:
        """True when extraction applies (documents, presentations, spreadsheets)."""
        return self.part_label is not None


_D = MessageType.document

SUPPORTED_TYPES: tuple[FileTypeInfo, ...] = (
    FileTypeInfo(
        "jpg", "image/jpeg", MessageType.image, "image", "JPEG image", ("jpeg", "jpe", "jfif")
    ),
    FileTypeInfo("png", "image/png", MessageType.image, "image", "PNG image"),
    FileTypeInfo("gif", "image/gif", MessageType.image, "image", "GIF image"),
    FileTypeInfo("webp", "image/webp", MessageType.image, "image", "WEBP image"),
    FileTypeInfo("mp3", "audio/mpeg", MessageType.audio, "audio", "MP3 audio"),
    FileTypeInfo("wav", "audio/wav", MessageType.audio, "audio", "WAV audio", ("wave",)),
    FileTypeInfo("ogg", "audio/ogg", MessageType.audio, "audio", "OGG audio", ("oga", "opus")),
    FileTypeInfo("m4a", "audio/mp4", MessageType.audio, "audio", "M4A audio"),
    FileTypeInfo("mp4", "video/mp4", MessageType.video, "video", "MP4 video", ("m4v",)),
    FileTypeInfo("mov", "video/quicktime", MessageType.video, "video", "MOV video", ("qt",)),
    FileTypeInfo("avi", "video/x-msvideo", MessageType.video, "video", "AVI video"),
    FileTypeInfo("pdf", "application/pdf", _D, "document", "PDF document", part_label="page"),
    FileTypeInfo(
        "doc", "application/msword", _D, "document", "Word 97-2003 document",
        part_label="paragraph", readable=False,
    ),
    FileTypeInfo(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _D, "document", "Word document", part_label="paragraph",
    ),
    FileTypeInfo("txt", "text/plain", _D, "document", "text file", part_label="paragraph"),
    FileTypeInfo("rtf", "application/rtf", _D, "document", "RTF document", part_label="paragraph"),
    FileTypeInfo(
        "ppt", "application/vnd.ms-powerpoint", _D, "presentation",
        "PowerPoint 97-2003 presentation", part_label="slide", readable=False,
    ),
    FileTypeInfo(
        "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _D, "presentation", "PowerPoint presentation", part_label="slide",
    ),
    FileTypeInfo(
        "xls", "application/vnd.ms-excel", _D, "spreadsheet", "Excel 97-2003 workbook",
        part_label="sheet",
    ),
    FileTypeInfo(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _D, "spreadsheet", "Excel workbook", part_label="sheet",
    ),
)

_BY_EXTENSION = {ext: t for t in SUPPORTED_TYPES for ext in t.extensions}
_BY_MIME = {t.mime: t for t in SUPPORTED_TYPES}
# Names other software sends for the same types (browsers, WhatsApp, older Office).
_MIME_ALIASES = {
    "image/jpg": "jpg", "image/pjpeg": "jpg",
    "audio/mp3": "mp3", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "audio/x-m4a": "m4a", "audio/m4a": "m4a", "audio/opus": "ogg",
    "video/avi": "avi", "video/msvideo": "avi",
    "text/rtf": "rtf", "application/x-rtf": "rtf",
}


def type_for_extension(extension: str) -> FileTypeInfo | None:
    """The supported type named by an extension (``"JPEG"``, ``".jpeg"`` and ``"jpg"`` agree)."""
    return _BY_EXTENSION.get(extension.lower().lstrip("."))


def type_for_mime(mime: str) -> FileTypeInfo | None:
    """The supported type for a MIME type; parameters (``; codecs=opus``) and aliases accepted."""
    base = mime.split(";", 1)[0].strip().lower()
    found = _BY_MIME.get(base)
    if found is None and base in _MIME_ALIASES:
        found = _BY_EXTENSION[_MIME_ALIASES[base]]
    return found


def supported_list() -> str:
    """The accepted extensions for user-facing messages: ``"JPG, PNG, …, XLSX"``."""
    return ", ".join(t.extension.upper() for t in SUPPORTED_TYPES)
