"""Decide a file's type from its content (magic bytes), then check the name agrees.

Two entry points, for the two moments an upload has:

* ``sniff(head, filename)`` on the first bytes (``HEAD_BYTES``), while the upload is still
  streaming: rejects programs, unlisted types and obvious mismatches before the rest is stored.
  For zip and OLE containers (DOCX/PPTX/XLSX, DOC/PPT/XLS) the first bytes cannot tell the
  members apart, so the answer for them trusts the extension (or member names seen in the head).
* ``sniff_file(source, filename)`` on the whole stored file (a path or a seekable binary file):
  the definitive answer. It reads the zip central directory or the OLE stream names, and for
  text checks the whole file for NUL bytes. Cheap: it never decompresses or parses a document.

Call ``sniff`` on the first chunk to fail fast, and always ``sniff_file`` before accepting.
Both raise ``UnsupportedFileType`` with a message that can be shown to the user as is.

The name rule: no extension means "trust the content"; a listed extension must match the
content's type (``.jpeg`` for a JPEG, ``.m4a`` for any MP4-family file, ...); any other
extension (``.zip``, ``.exe``, ``.csv``) is refused even when the content is acceptable, because
the spec's list is a list of types users can name.
"""

from __future__ import annotations

import codecs
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

import olefile

from ignacio_agents.errors import InvalidInput, Unsupported

from .archive import ArchiveError, read_zip_directory
from .filetypes import FileTypeInfo, supported_list, type_for_extension

HEAD_BYTES = 8192
"""How many leading bytes ``sniff`` wants (fewer works for everything but text and hints)."""

Reason = Literal["empty", "executable", "unsupported", "mismatch", "damaged"]


class UnsupportedFileType(Unsupported):
    """The file is not one of the accepted types; ``str(exc)`` is a user-facing message.

    ``reason`` says why: ``executable``, ``unsupported`` (an unlisted type), ``mismatch`` (the
    name says one listed type, the content is another), ``empty`` or ``damaged`` (a container
    whose structure cannot be read). The last two are ``EmptyFile`` and ``DamagedFile``: the
    type may be fine, the bytes are not, so they are invalid input rather than unsupported.
    """

    code = "unsupported_file_type"

    def __init__(self, message: str, reason: Reason = "unsupported") -> None:
        super().__init__(message)
        self.reason: Reason = reason


class EmptyFile(InvalidInput, UnsupportedFileType):
    code = "empty_file"

    def __init__(self, message: str) -> None:
        UnsupportedFileType.__init__(self, message, "empty")


class DamagedFile(InvalidInput, UnsupportedFileType):
    code = "damaged_file"

    def __init__(self, message: str) -> None:
        UnsupportedFileType.__init__(self, message, "damaged")


@dataclass(frozen=True, slots=True)
class _Content:
    """What the bytes say: candidate supported extensions (empty when unsupported)."""

    label: str  # "a PDF document", "a ZIP archive", ...
    candidates: tuple[str, ...] = ()
    hint: str | None = None  # the likeliest candidate when the name does not choose
    container: Literal["zip", "ole"] | None = None
    executable: bool = False


_OOXML = ("docx", "xlsx", "pptx")
_OLE = ("doc", "xls", "ppt")
_ISO_MEDIA = ("mp4", "m4a", "mov")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_LOCAL = struct.Struct("<4s5H3L2H")  # local file header, 30 bytes
_OOXML_PREFIXES = {"word/": "docx", "ppt/": "pptx", "xl/": "xlsx"}
_OLE_STREAMS = {"worddocument": "doc", "workbook": "xls", "book": "xls",
                "powerpoint document": "ppt"}
_EXECUTABLE = _Content("a program (executable file)", executable=True)
_EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux/Unix
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
)
# Recognised but not accepted, so the refusal can name what the file is.
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x1a\x45\xdf\xa3", "a WebM/Matroska video"),
    (b"SQLite format 3\x00", "a database file"),
    (b"8BPS", "a Photoshop image"),
)


def sniff(head: bytes, filename: str) -> FileTypeInfo:
    """The type of a file from its first bytes (``HEAD_BYTES`` ideally) and its name.

    Raises ``UnsupportedFileType``. Zip/OLE containers are resolved from the extension or the
    member names visible in ``head``; confirm them with ``sniff_file`` once stored.
    """
    return _decide(_detect(head), filename)


def sniff_file(source: Path | BinaryIO, filename: str) -> FileTypeInfo:
    """The definitive type of a stored file (a path, or a seekable binary file at any position).

    Reads the head, then a zip's central directory or an OLE file's stream names, never the
    document itself. Raises ``UnsupportedFileType``.
    """
    if isinstance(source, Path):
        with source.open("rb") as f:
            return sniff_file(f, filename)
    source.seek(0)
    head = source.read(HEAD_BYTES)
    content = _detect(head)
    if content.container == "zip":
        content = _resolve_zip(source, filename)
    elif content.container == "ole":
        content = _resolve_ole(source, filename)
    elif content.candidates == ("txt",) and _has_nul(source):
        content = _Content("binary data")
    return _decide(content, filename)


# --- deciding ---------------------------------------------------------------------------------


def _decide(content: _Content, filename: str) -> FileTypeInfo:
    shown = _shown(filename)
    ext = _extension(filename)
    named = type_for_extension(ext) if ext else None
    if content.executable:
        raise UnsupportedFileType(
            f"'{shown}' is a program (executable file); programs can't be uploaded.", "executable"
        )
    if not content.candidates:
        if content.label == "":
            raise EmptyFile(f"'{shown}' is empty.")
        if named is not None:
            raise UnsupportedFileType(
                f"'{shown}' is named like {_article(named.label)} but its content is "
                f"{content.label}.",
                "mismatch",
            )
        raise UnsupportedFileType(
            f"'{shown}' is {content.label}, which isn't supported. "
            f"Supported types: {supported_list()}."
        )
    if ext is not None and named is None:
        raise UnsupportedFileType(
            f"Files ending in .{ext} aren't supported. Supported types: {supported_list()}."
        )
    if named is not None:
        if named.extension in content.candidates:
            return named
        actual = type_for_extension(content.hint or content.candidates[0])
        what = _article(actual.label) if actual and len(content.candidates) == 1 else content.label
        raise UnsupportedFileType(
            f"'{shown}' is named like {_article(named.label)} but its content is {what}. "
            "Rename it to its real type or export it again.",
            "mismatch",
        )
    if content.hint is None and len(content.candidates) > 1:
        options = ", ".join("." + c for c in content.candidates)
        raise UnsupportedFileType(
            f"Couldn't tell which type '{shown}' is ({options}); upload it with its extension."
        )
    chosen = type_for_extension(content.hint or content.candidates[0])
    assert chosen is not None  # candidates only ever hold listed extensions
    return chosen


def _extension(filename: str) -> str | None:
    """The lower-case extension, or None when the name has none ("plan v2.0" has none)."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()[1:]
    if re.fullmatch(r"[a-z0-9]{1,10}", suffix) and not suffix.isdigit():
        return suffix
    return None


def _shown(filename: str) -> str:
    """The name as it may appear in a message: no control characters, not too long."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", PurePosixPath(filename.replace("\\", "/")).name)
    return name if len(name) <= 80 else name[:77] + "..."


def _article(label: str) -> str:
    """'a PDF document', 'an MP3 audio file', 'an Excel workbook'."""
    word = label.split()[0]
    if word.isupper():  # an acronym, read letter by letter
        return ("an " if word[0] in "AEFHILMNORSX" else "a ") + label
    return ("an " if word[0].lower() in "aeiou" else "a ") + label


# --- reading the bytes ------------------------------------------------------------------------


def _detect(head: bytes) -> _Content:
    if not head:
        return _Content("")
    if head.startswith(_EXECUTABLE_MAGIC) or _is_pe(head):
        return _EXECUTABLE
    pdf_at = head.find(b"%PDF-", 0, 1024)
    if pdf_at == 0 or (pdf_at > 0 and not _looks_like_text(head)):  # readers allow a prefix
        return _Content("a PDF document", ("pdf",))
    if head.startswith(_OLE_MAGIC):  # legacy Office, or a password-protected OOXML file
        return _Content("an Office 97-2003 file", _OLE + _OOXML, _ole_hint(head), container="ole")
    if head.startswith(b"PK\x03\x04"):
        names = list(_zip_names_in(head))
        if names and names[0] == "mimetype":
            return _Content("an OpenDocument file (save it as .docx, .xlsx or .pptx)")
        return _Content("a ZIP-based Office file", _OOXML, _ooxml_kind(names), container="zip")
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        return _Content("a ZIP archive")
    if head.startswith(b"{\\rtf"):
        return _Content("an RTF document", ("rtf",))
    if head.startswith(b"\xff\xd8\xff"):
        return _Content("a JPEG image", ("jpg",))
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _Content("a PNG image", ("png",))
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _Content("a GIF image", ("gif",))
    if head.startswith(b"RIFF") and len(head) >= 12:
        riff = {b"WAVE": ("a WAV audio file", "wav"), b"AVI ": ("an AVI video", "avi"),
                b"WEBP": ("a WEBP image", "webp")}.get(head[8:12])
        return _Content(riff[0], (riff[1],)) if riff else _Content("a RIFF media file")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"pnot"):
        return _Content("a MOV video", ("mov",))
    if head.startswith(b"OggS"):
        return _Content("an OGG audio file", ("ogg",))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and _looks_like_text(head):  # UTF-16 BOM
        return _Content("plain text", ("txt",))
    if head.startswith(b"ID3") or _is_mpeg_audio(head):
        return _Content("an MP3 audio file", ("mp3",))
    for magic, label in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            return _Content(label)
    if len(head) > 262 and head[257:262] == b"ustar":
        return _Content("a TAR archive")
    if _looks_like_text(head):
        return _Content("plain text", ("txt",))
    return _Content("a file of an unknown type")


def _is_pe(head: bytes) -> bool:
    """Windows/DOS programs: 'MZ' plus binary header fields (text may start with 'MZ')."""
    if not head.startswith(b"MZ") or len(head) < 64:
        return False
    (pe_offset,) = struct.unpack_from("<L", head, 0x3C)
    if pe_offset + 4 <= len(head) and head[pe_offset:pe_offset + 4] == b"PE\x00\x00":
        return True
    return b"\x00" in head[:64]


def _is_mpeg_audio(head: bytes) -> bool:
    """An MPEG layer III frame header (an MP3 without ID3 tag): sync, version, layer, rates."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def _iso_media(brand: bytes) -> _Content:
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return _Content("an M4A audio file", _ISO_MEDIA, "m4a")
    if brand == b"qt  ":
        return _Content("a MOV video", _ISO_MEDIA, "mov")
    if brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"):
        return _Content("a HEIC/AVIF image (export it as JPEG or PNG)")
    if brand.startswith((b"3gp", b"3g2")):
        return _Content("a 3GP video (export it as MP4)")
    if brand.startswith((b"crx", b"jp2", b"jpx")):
        return _Content("a camera RAW or JPEG 2000 image")
    return _Content("an MP4 video", _ISO_MEDIA, "mp4")


def _looks_like_text(head: bytes) -> bool:
    """Plain text: UTF-8 (or UTF-16 with a BOM, or a Latin-1 legacy file), no NUL bytes, and
    almost no control characters."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = codecs.getincrementaldecoder("utf-16")(errors="replace").decode(head)
    elif b"\x00" in head:
        return False
    else:
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            text = head.decode("latin-1")
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\x7f")
    return controls <= len(text) // 100


def _has_nul(f: BinaryIO) -> bool:
    """True when a file that started as text has NUL bytes anywhere (so it's binary)."""
    f.seek(0)
    bom = f.read(2)
    if bom in (b"\xff\xfe", b"\xfe\xff"):
        return False  # UTF-16 text is full of NULs
    while block := f.read(1 << 20):
        if b"\x00" in block:
            return True
    return False


def _zip_names_in(head: bytes) -> Iterable[str]:
    """Member names from the local file headers that fit in ``head`` (a best-effort hint)."""
    at = 0
    while (at := head.find(b"PK\x03\x04", at)) >= 0 and at + _ZIP_LOCAL.size <= len(head):
        name_len = _ZIP_LOCAL.unpack_from(head, at)[9]
        raw = head[at + _ZIP_LOCAL.size: at + _ZIP_LOCAL.size + name_len]
        if len(raw) == name_len:
            yield raw.decode("utf-8", "replace")
        at += _ZIP_LOCAL.size


def _ooxml_kind(names: Iterable[str]) -> str | None:
    for name in names:
        for prefix, ext in _OOXML_PREFIXES.items():
            if name.startswith(prefix):
                return ext
    return None


def _ole_hint(head: bytes) -> str | None:
    """OLE directory entries store names in UTF-16; small files keep them in the head."""
    for name, ext in (("WordDocument", "doc"), ("Workbook", "xls"), ("PowerPoint Document", "ppt")):
        if name.encode("utf-16-le") in head:
            return ext
    return None


def _resolve_zip(f: BinaryIO, filename: str) -> _Content:
    try:
        names = [info.filename for info in read_zip_directory(f)]
    except ArchiveError as exc:
        shown = _shown(filename)
        raise DamagedFile(f"'{shown}' can't be opened: {exc}") from None
    if "mimetype" in names and not any(n.startswith(tuple(_OOXML_PREFIXES)) for n in names):
        return _Content("an OpenDocument file (save it as .docx, .xlsx or .pptx)")
    kind = _ooxml_kind(names) if "[Content_Types].xml" in names else None
    if kind is None:
        return _Content("a ZIP archive")
    return _resolved(kind)


def _resolve_ole(f: BinaryIO, filename: str) -> _Content:
    f.seek(0)
    try:
        with olefile.OleFileIO(f) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True)}
    except Exception as exc:  # untrusted bytes: any parse error means "damaged"
        raise DamagedFile(f"'{_shown(filename)}' can't be opened: the file is damaged ({exc}).") \
            from None
    for stream, ext in _OLE_STREAMS.items():
        if stream in streams:
            return _resolved(ext)
    if "encryptedpackage" in streams:
        # A password-protected DOCX/XLSX/PPTX is an OLE file: keep it (its extraction will say
        # it's protected) when its name says which one it is.
        return _Content("a password-protected Office file", _OOXML, None)
    return _Content("an OLE compound file (for example an Outlook message or an installer)")


def _resolved(ext: str) -> _Content:
    info = type_for_extension(ext)
    assert info is not None
    return _Content(_article(info.label), (ext,), ext)
