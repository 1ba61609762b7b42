"""Locations inside a file as the advisor cites them ("page 3", "slide 4", "Budget!B7",
"paragraphs 1-12"), parsed so a citation can be compared with what the tools returned.

The tools give locations in English (``documents.results``); an answer in Spanish may say
"página 3" or "diapositiva 4" for the same place, and may cite one cell inside the range a
passage covers ("Budget!B7" inside "Budget!A1:D40"). ``covers`` accepts both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = r"(\d+)(?:\s*[-–]\s*(\d+))?"
_NUMBERED = {
    "page": rf"(?:pages?|p[aá]ginas?|p[aá]gs?\.?|pp?\.)\s*{_RANGE}",
    "slide": rf"(?:slides?|diapositivas?|transparencias?)\s*{_RANGE}",
    "paragraphs": rf"(?:paragraphs?|p[aá]rrafos?)\s*{_RANGE}",
}
_CELLS = (r"('(?:[^']|'')+'|[A-Za-z_][\w.]*)!\$?([A-Z]{1,3})\$?(\d+)"
          r"(?::\$?([A-Z]{1,3})\$?(\d+))?")
_PATTERNS = [(kind, re.compile(p, re.I)) for kind, p in _NUMBERED.items()] + [
    ("cells", re.compile(_CELLS))]
# What may stand between a file name and its location: "deck.pdf, page 3", "deck.pdf (p. 3)",
# "deck.pdf: página 3", "deck.pdf, en la página 3", "deck.pdf on slide 2".
_LEAD = re.compile(r"\s*[,(:–—-]?\s*(?:(?:en|on|at|in)\s+)?(?:(?:la|el|the)\s+)?", re.I)


@dataclass(frozen=True)
class Location:
    kind: str  # page | slide | paragraphs | cells
    first: tuple[int, int]  # (row, column); numbered kinds use (n, 0)
    last: tuple[int, int]
    sheet: str | None = None
    label: str = ""


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _sheet(name: str) -> str:
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name.casefold()


def parse_location(text: str, *, after_name: bool = False) -> Location | None:
    """The location ``text`` starts with; with ``after_name``, the text follows a file name and
    may begin with the separators a citation uses (", ", " (", ": ", ", en la ")."""
    start = _LEAD.match(text).end() if after_name else len(text) - len(text.lstrip())  # type: ignore[union-attr]
    for kind, pattern in _PATTERNS:
        match = pattern.match(text, start)
        if match is None:
            continue
        label = match.group(0)
        if kind == "cells":
            sheet, c1, r1, c2, r2 = match.groups()
            first = (int(r1), _column(c1))
            last = (int(r2), _column(c2)) if c2 and r2 else first
            return Location(kind, first, last, _sheet(sheet), label)
        a, b = int(match.group(1)), int(match.group(2) or match.group(1))
        return Location(kind, (a, 0), (b, 0), None, label)
    return None


def covers(known: Location, cited: Location) -> bool:
    """Whether the ``cited`` location lies within a location a tool returned."""
    if known.kind != cited.kind or known.sheet != cited.sheet:
        return False
    if known.kind == "cells":
        return (known.first[0] <= cited.first[0] <= cited.last[0] <= known.last[0]
                and known.first[1] <= cited.first[1] <= cited.last[1] <= known.last[1])
    return known.first[0] <= cited.first[0] <= cited.last[0] <= known.last[0]
