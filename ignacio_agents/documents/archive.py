"""Zip containers (DOCX, PPTX, XLSX) inspected from their central directory, before parsing.

Why this is safe to trust: the central directory declares every member's compressed and
uncompressed size, and CPython's ``zipfile`` never returns more than the declared uncompressed
size (a member that inflates further fails its CRC check). So a bomb either *declares* its size,
and ``check_zip_budget`` refuses it without inflating a byte, or lies and breaks on read.

The entry count is read from the end-of-central-directory record *before* ``zipfile`` builds
one ``ZipInfo`` per entry, so a 25 MB file claiming half a million members costs nothing.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from .limits import DEFAULT_LIMITS, Limits

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes, right before the EOCD
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes


class ArchiveError(ValueError):
    """The zip container is damaged or beyond the limits; the message is user-facing."""


def read_zip_directory(
    source: Path | BinaryIO, max_members: int = DEFAULT_LIMITS.zip_max_members
) -> list[zipfile.ZipInfo]:
    """The members of a zip file, from its central directory (nothing is decompressed).

    ``source`` is a path or a seekable binary file. Raises ``ArchiveError`` when the file is not
    a readable zip or declares more than ``max_members`` entries.
    """
    if isinstance(source, Path):
        with source.open("rb") as f:
            return read_zip_directory(f, max_members)
    count = _declared_entry_count(source)
    if count > max_members:
        raise ArchiveError(f"The file contains too many internal parts ({count:,}).")
    try:
        source.seek(0)
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
    except Exception as exc:  # untrusted bytes: any parse error means "damaged"
        raise ArchiveError(f"The file is damaged (its zip structure can't be read: {exc}).") from (
            None
        )
    if len(infos) > max_members:
        raise ArchiveError(f"The file contains too many internal parts ({len(infos):,}).")
    return infos


def check_zip_budget(infos: list[zipfile.ZipInfo], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse archives that would inflate beyond ``limits`` (a zip bomb or an absurd file)."""
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.zip_max_total_bytes:
            raise ArchiveError(
                "The file expands to more than "
                f"{limits.zip_max_total_bytes // (1024 * 1024)} MB when opened, "
                "which is beyond what can be read safely (possibly a zip bomb)."
            )
        if info.file_size >= limits.zip_ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.zip_max_ratio:
                raise ArchiveError(
                    f"A part of the file is compressed {ratio:,.0f} to 1, far beyond any real "
                    "document (possibly a zip bomb), so it was not opened."
                )


def _declared_entry_count(f: BinaryIO) -> int:
    """The entry count the end-of-central-directory record declares (zip64 aware)."""
    size = f.seek(0, os.SEEK_END)
    tail_len = min(size, _EOCD.size + 0xFFFF)  # the record plus the longest comment
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise ArchiveError("The file is damaged (its zip directory is missing).")
    _, _, _, _, entries, _, _, _ = _EOCD.unpack_from(tail, at)
    if entries != 0xFFFF:
        return int(entries)
    loc_at = at - _ZIP64_LOCATOR.size
    if loc_at < 0:
        raise ArchiveError("The file is damaged (its zip64 directory is missing).")
    sig, _, eocd64_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, loc_at)
    if sig != b"PK\x06\x07" or eocd64_offset + _ZIP64_EOCD.size > size:
        raise ArchiveError("The file is damaged (its zip64 directory is missing).")
    f.seek(eocd64_offset)
    record = f.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
        raise ArchiveError("The file is damaged (its zip64 directory is unreadable).")
    return int(_ZIP64_EOCD.unpack(record)[7])
