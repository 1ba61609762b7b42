"""Zip containers (DOCX, PPTX, XLSX) checked before any parser opens them.

Three steps, cheapest first, all before parsing:

1. ``read_zip_directory``: the entry count comes from the end-of-central-directory record
   *before* ``zipfile`` builds one ``ZipInfo`` per entry, so a 25 MB file claiming half a
   million members costs nothing.
2. ``check_zip_budget``: the sizes the directory *declares* (total, and compression ratio per
   member) are within ``Limits``. An honest zip bomb stops here without inflating a byte.
3. ``verify_zip_members``: the declared sizes are only claims. ``zipfile``'s ``read()``
   inflates a member's whole stream in one call before trimming it to the declared size, so a
   bomb that under-declares would still inflate fully inside the parser. This step inflates
   every member in bounded steps (at most 1 MiB of output at a time, nothing kept) and refuses
   any that inflates past its declared size. After it, the declared sizes are facts.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from ignacio_agents.errors import InvalidInput

from .limits import DEFAULT_LIMITS, Limits

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes, right before the EOCD
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # 30 bytes
_READ_BYTES = 64 * 1024
_INFLATE_STEP = 1024 * 1024  # most output one inflate call may produce


class ArchiveError(InvalidInput):
    """The zip container is damaged or beyond the limits; the message is user-facing."""

    code = "damaged_file"


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
        message = f"The file is damaged (its zip structure can't be read: {exc})."
        raise ArchiveError(message) from None
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


def verify_zip_members(source: Path | BinaryIO, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate every member, keeping nothing, to prove it matches its declared size.

    Raises ``ArchiveError`` for a member that inflates past its declared size (a bomb), ends
    short of it (damage), is encrypted, or uses a compression method Office never writes.
    """
    if isinstance(source, Path):
        with source.open("rb") as f:
            return verify_zip_members(f, infos)
    for info in infos:
        if info.flag_bits & 0x1:
            raise ArchiveError("The file has encrypted parts and can't be read.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError("The file uses a compression method documents never use.")
        source.seek(info.header_offset)
        local = source.read(_LOCAL_HEADER.size)
        if len(local) < _LOCAL_HEADER.size or local[:4] != b"PK\x03\x04":
            raise ArchiveError(f"The file is damaged (part {info.filename!r} is missing).")
        name_len, extra_len = _LOCAL_HEADER.unpack(local)[9:11]
        source.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        if info.compress_type == zipfile.ZIP_STORED:
            produced = info.compress_size  # stored data is its own size
        else:
            produced = _inflate_counting(source, info)
        if produced != info.file_size:
            raise ArchiveError(f"The file is damaged (part {info.filename!r} is truncated).")
    return None


def _inflate_counting(f: BinaryIO, info: zipfile.ZipInfo) -> int:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced, remaining = 0, info.compress_size
    while remaining > 0 and not inflater.eof:
        data = f.read(min(_READ_BYTES, remaining))
        if not data:
            break
        remaining -= len(data)
        while data and not inflater.eof:
            try:
                produced += len(inflater.decompress(data, _INFLATE_STEP))
            except zlib.error:
                raise ArchiveError(
                    f"The file is damaged (part {info.filename!r} can't be decompressed)."
                ) from None
            if produced > info.file_size:
                raise ArchiveError(
                    "A part of the file expands beyond the size it declares (a zip bomb), so it "
                    "was not opened."
                )
            data = inflater.unconsumed_tail
    return produced
