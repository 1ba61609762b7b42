"""Search chunks: parts cut to a bounded size, each keeping where it came from.

A chunk never crosses a part, so its ``part`` is always a valid ``read_file`` address and its
``location`` stays true: a long page 3 becomes several chunks all located 'page 3'; a sheet
becomes chunks of whole rows located by the cell range they cover ('Budget!A5:D12'). Cuts fall
on paragraph, line, sentence, then word boundaries, in that order of preference; only a single
"word" longer than the maximum is cut mid-way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .results import CellSpan, Part, cell_range

TARGET_CHARS = 1_200  # a chunk is closed once it reaches this ...
MAX_CHARS = 1_500  # ... and never exceeds this


@dataclass(frozen=True, slots=True)
class Chunk:
    """One indexed passage (a row of ``file_chunks``); ``ordinal`` counts from 0 per file."""

    ordinal: int
    part: str
    location: str
    content: str


def chunk_parts(
    parts: Iterable[Part], *, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS
) -> list[Chunk]:
    """Cut ``parts`` into chunks of at most ``max_chars``, numbered in reading order."""
    if not 0 < target <= max_chars:
        raise ValueError("need 0 < target <= max_chars")
    chunks: list[Chunk] = []
    for part in parts:
        if part.spans:
            pieces = _sheet_pieces(part, target, max_chars)
        else:
            pieces = [(part.location, text) for text in _pack(_units(part.text, max_chars),
                                                               "\n", target, max_chars)]
        for location, content in pieces:
            if content.strip():
                chunks.append(Chunk(len(chunks), part.part, location, content))
    return chunks


def _units(text: str, max_chars: int) -> list[str]:
    """Pieces of at most ``max_chars``: paragraphs, else lines, else sentences, else words."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if len(paragraph) <= max_chars:
            units.append(paragraph)
            continue
        for line in paragraph.splitlines():
            units.extend(_split_line(line, max_chars))
    return [u for u in units if u.strip()]


def _split_line(line: str, max_chars: int) -> list[str]:
    if len(line) <= max_chars:
        return [line]
    sentences = re.split(r"(?<=[.!?;:])\s+", line)
    if len(sentences) > 1:
        return _pack([w for s in sentences for w in _split_line(s, max_chars)], " ",
                     max_chars, max_chars)
    words: list[str] = []
    for word in line.split():
        words.extend(word[i:i + max_chars] for i in range(0, len(word), max_chars))
    return _pack(words, " ", max_chars, max_chars)


def _pack(units: list[str], sep: str, target: int, max_chars: int) -> list[str]:
    """Join consecutive units while they fit in ``max_chars``; close a chunk at ``target``."""
    out: list[str] = []
    current = ""
    for unit in units:
        if current and (len(current) >= target or len(current) + len(sep) + len(unit) > max_chars):
            out.append(current)
            current = ""
        current = f"{current}{sep}{unit}" if current else unit
    if current:
        out.append(current)
    return out


def _sheet_pieces(part: Part, target: int, max_chars: int) -> list[tuple[str, str]]:
    """Rows packed into chunks, each located by the cell range its rows cover."""
    sheet = part.location.rsplit("!", 1)[0]
    lines = part.text.split("\n")
    if len(lines) != len(part.spans):  # not produced by our readers: fall back to plain text
        return [(part.location, t) for t in _pack(_units(part.text, max_chars), "\n",
                                                  target, max_chars)]
    pieces: list[tuple[str, str]] = []
    rows: list[str] = []
    spans: list[CellSpan] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if rows:
            pieces.append((cell_range(sheet, spans), "\n".join(rows)))
            rows.clear()
            spans.clear()
            size = 0

    for line, span in zip(lines, part.spans, strict=True):
        if len(line) > max_chars:  # one very wide row: several chunks, all located at that row
            flush()
            for piece in _pack(_split_cells(line, max_chars), " | ", max_chars, max_chars):
                pieces.append((cell_range(sheet, [span]), piece))
            continue
        if rows and (size >= target or size + 1 + len(line) > max_chars):
            flush()
        rows.append(line)
        spans.append(span)
        size += len(line) + (1 if size else 0)
    flush()
    return pieces


def _split_cells(line: str, max_chars: int) -> list[str]:
    return [piece for cell in line.split(" | ") for piece in _split_line(cell, max_chars)]
