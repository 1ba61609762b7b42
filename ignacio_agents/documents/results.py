"""What extraction returns: the text of a file in addressable, citable parts.

A ``Part`` has two names on purpose: ``part`` is the machine address ``read_file`` takes back
('page:3', 'slide:4', 'sheet:Budget', 'paragraphs:1-12') and ``location`` is how the advisor
cites it ('page 3', 'slide 4', 'Budget!A1:D40', 'paragraphs 1-12'). Chunks never cross a part,
so every chunk of a file can be fetched again by its part.

These are plain dataclasses that cross the sandbox's process boundary as JSON (``to_json`` /
``from_json``; JSON, not pickle, because the child parsed hostile bytes and must not be able
to make the server run code). This module imports nothing heavy: the sandbox child loads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, cast

PartLabel = Literal["page", "slide", "sheet", "paragraph"]


class ExtractionStatus(StrEnum):
    """Mirrors ``user_files.extraction_status`` (minus the job states pending/running)."""

    done = "done"  # text extracted (possibly none, e.g. a scanned PDF; see ``reason``)
    unreadable = "unreadable"  # stored, not readable (legacy DOC/PPT)
    failed = "failed"  # damaged, hostile or too big; ``reason`` says why
    not_applicable = "not_applicable"  # images, audio, video: nothing to extract


@dataclass(frozen=True, slots=True)
class CellSpan:
    """The cells one line of a sheet part covers: a row and its first/last non-empty column."""

    row: int
    first_col: int
    last_col: int


@dataclass(frozen=True, slots=True)
class Part:
    """One addressable piece of a file's text.

    For sheets, ``text`` has one line per row (``"A7: Rent | B7: 12500"``) and ``spans`` has
    one ``CellSpan`` per line, so a chunk of lines knows the cell range it covers. Other parts
    leave ``spans`` empty.
    """

    part: str
    location: str
    text: str
    spans: tuple[CellSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class Extraction:
    """The outcome of extracting one file.

    ``part_count`` counts what ``part_label`` names in the whole file (pages, slides, sheets,
    paragraphs), empty ones included for pages and slides, so "page 7 of 12" is meaningful.
    ``reason`` is user-facing: why it failed or is unreadable, or, when done, a caveat (nothing
    found, or ``truncated`` because a cap was reached).
    """

    status: ExtractionStatus
    parts: tuple[Part, ...] = ()
    part_count: int | None = None
    part_label: PartLabel | None = None
    reason: str | None = None
    truncated: bool = False

    @classmethod
    def failed(cls, reason: str) -> Extraction:
        return cls(ExtractionStatus.failed, reason=reason)

    @classmethod
    def unreadable(cls, reason: str) -> Extraction:
        return cls(ExtractionStatus.unreadable, reason=reason)

    @property
    def text(self) -> str:
        """All parts' text, for a quick look or a test."""
        return "\n\n".join(p.text for p in self.parts)

    def find(self, needle: str) -> Part | None:
        """The first part whose text contains ``needle`` (case-sensitive)."""
        return next((p for p in self.parts if needle in p.text), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "parts": [
                [p.part, p.location, p.text, [[s.row, s.first_col, s.last_col] for s in p.spans]]
                for p in self.parts
            ],
            "part_count": self.part_count,
            "part_label": self.part_label,
            "reason": self.reason,
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Extraction:
        """Rebuild from ``to_json`` output, checking every type (the data came from a child)."""
        parts = []
        for part, location, text, spans in data["parts"]:
            if not (isinstance(part, str) and isinstance(location, str) and isinstance(text, str)):
                raise TypeError("part fields must be strings")
            parts.append(Part(part, location, text, tuple(
                CellSpan(int(r), int(a), int(b)) for r, a, b in spans)))
        count, label, reason = data["part_count"], data["part_label"], data["reason"]
        if count is not None and not isinstance(count, int):
            raise TypeError("part_count must be an int")
        if label not in (None, "page", "slide", "sheet", "paragraph"):
            raise ValueError("unknown part_label")
        if reason is not None and not isinstance(reason, str):
            raise TypeError("reason must be a string")
        return cls(ExtractionStatus(data["status"]), tuple(parts), count,
                   cast(PartLabel | None, label), reason, bool(data["truncated"]))


def column_letter(col: int) -> str:
    """1 -> 'A', 28 -> 'AB' (spreadsheet column names)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_ref(name: str) -> str:
    """A sheet name as a formula reference prefix: ``Budget`` or ``'Q1 Plan'`` (quoted)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not re.fullmatch(
        r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc]?[0-9]*", name
    ):
        return name
    return "'" + name.replace("'", "''") + "'"


def cell_range(sheet: str, spans: Iterable[CellSpan]) -> str:
    """``Budget!A5:D12`` for the cells ``spans`` cover (``Budget!B7`` for one cell).

    ``sheet`` is the already-quoted prefix from ``sheet_ref``.
    """
    spans = list(spans)
    top, bottom = min(s.row for s in spans), max(s.row for s in spans)
    left, right = min(s.first_col for s in spans), max(s.last_col for s in spans)
    start, end = f"{column_letter(left)}{top}", f"{column_letter(right)}{bottom}"
    return f"{sheet}!{start}" if start == end else f"{sheet}!{start}:{end}"
