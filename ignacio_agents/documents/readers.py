"""Per-format text readers. They run *inside* the sandbox child, never in the server process.

``read_document`` is the one entry point: it picks the reader for a canonical extension and
returns an ``Extraction``. Readers trust no input but are not hardened against everything:
they check archive budgets before parsing and stop at the content caps of ``Limits``; the
sandbox supplies the hard timeout and memory limit. Expected problems (password, damage) come
back as ``failed`` with a reason; anything unexpected is raised and the sandbox reports it.

Parser libraries (0.1-0.3 s of imports each) load per format on first use, so a child pays
only for the one it needs and the server process, which never reads, pays for none.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .archive import ArchiveError, check_zip_budget, read_zip_directory, verify_zip_members
from .chunk import TARGET_CHARS
from .limits import Limits
from .results import (
    CellSpan,
    Extraction,
    ExtractionStatus,
    Part,
    cell_range,
    column_letter,
    sheet_ref,
)

if TYPE_CHECKING:
    import xlrd
    from docx.table import Table

# The libraries each format needs, imported on demand: a child pays only for its own parser.
_PARSERS = {
    "pdf": ("pypdf",),
    "docx": ("docx",),
    "pptx": ("pptx",),
    "xlsx": ("openpyxl",),
    "xls": ("xlrd",),
    "rtf": ("striprtf.striprtf",),
    "txt": (),
}

_PROTECTED = (
    "The file is password-protected; remove the password and upload it again to let me read it."
)
_GROUP_PARAGRAPHS = 20  # at most this many paragraphs per part


class _Budget:
    """What a reader may still produce: characters (``Limits.max_chars``, trimmed past it) and
    time (``Limits.seconds``). Readers stop at the next page/slide/row once it is ``spent()``,
    so a large but honest file ends truncated rather than killed by the hard timeout."""

    def __init__(self, limits: Limits) -> None:
        self.left = limits.max_chars
        self.deadline = None if limits.seconds is None else time.monotonic() + limits.seconds
        self.exhausted = False

    def take(self, text: str) -> str:
        text = _clean(text)
        if len(text) > self.left:
            text, self.exhausted = text[: self.left], True
        self.left -= len(text)
        return text

    def spent(self) -> bool:
        if not self.exhausted and self.deadline is not None and time.monotonic() > self.deadline:
            self.exhausted = True
        return self.exhausted


def import_parser(extension: str) -> None:
    """Import the parser library ``extension`` needs (the sandbox does it before limiting)."""
    for module in _PARSERS.get(extension, ()):
        importlib.import_module(module)


def read_document(path: Path, extension: str, limits: Limits) -> Extraction:
    """The text of ``path``, a file already sniffed as ``extension`` ('pdf', 'xlsx', ...).

    In-process and unguarded by time or memory: call ``extract`` instead unless the file is
    trusted (this is what the sandbox child runs).
    """
    if extension not in _READERS:
        raise ValueError(f"no text reader for {extension!r}")
    budget = _Budget(limits)  # the clock starts now: opening the file counts
    if extension in ("docx", "pptx", "xlsx"):
        with path.open("rb") as f:
            if f.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # encrypted OOXML is OLE
                return Extraction.failed(_PROTECTED)
        try:
            members = read_zip_directory(path, limits.zip_max_members)
            check_zip_budget(members, limits)
            verify_zip_members(path, members)
        except ArchiveError as exc:
            return Extraction.failed(str(exc))
    return _READERS[extension](path, limits, budget)


# --- PDF --------------------------------------------------------------------------------------


def _read_pdf(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return Extraction.failed(_PROTECTED)
        count = len(reader.pages)
    except (FileNotDecryptedError, NotImplementedError):
        return Extraction.failed(_PROTECTED)
    except Exception as exc:  # untrusted bytes: any parse error means "damaged"
        return Extraction.failed(f"The PDF is damaged and couldn't be read ({_short(exc)}).")
    parts: list[Part] = []
    for number in range(1, min(count, limits.max_pages) + 1):
        if budget.spent():
            break
        try:
            raw = reader.pages[number - 1].extract_text() or ""
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
            continue  # one damaged page should not hide the others
        text = budget.take(raw)
        if text.strip():
            parts.append(Part(f"page:{number}", f"page {number}", text.strip()))
    truncated = budget.exhausted or count > limits.max_pages
    reason = _caveat(parts, truncated, "pages", "the PDF may be scanned images without text")
    return Extraction(ExtractionStatus.done, tuple(parts), count, "page", reason, truncated)


# --- Word / text ------------------------------------------------------------------------------


def _read_docx(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))

    def paragraphs() -> Iterator[str]:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                yield from _table_rows(block)
            else:
                yield block.text

    return _paragraph_extraction(paragraphs(), limits, budget)


def _table_rows(table: Table) -> Iterator[str]:
    """One paragraph per table row: its cells joined by ' | ' (merged cells once)."""
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        yield " | ".join(cells)


def _read_txt(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    return _paragraph_extraction(_split_paragraphs(_decode(path.read_bytes())), limits, budget)


def _read_rtf(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    from striprtf.striprtf import rtf_to_text

    text = rtf_to_text(path.read_bytes().decode("latin-1"), errors="ignore")
    return _paragraph_extraction(iter(text.splitlines()), limits, budget)  # a line per \par


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else the Windows Western code page."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _split_paragraphs(text: str) -> Iterator[str]:
    """Blank-line separated blocks; a block too long for one chunk is taken line by line."""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        if len(block) > TARGET_CHARS and "\n" in block.strip():
            yield from block.split("\n")
        else:
            yield block


def _paragraph_extraction(paragraphs: Iterator[str], limits: Limits, budget: _Budget) -> Extraction:
    """Number the non-empty paragraphs from 1 and group them into parts of about a chunk."""
    parts: list[Part] = []
    group: list[str] = []
    first = count = 0
    truncated = False

    def close() -> None:
        if group:
            last = first + len(group) - 1
            address, label = (f"{first}", f"paragraph {first}") if last == first else (
                f"{first}-{last}", f"paragraphs {first}-{last}")
            parts.append(Part(f"paragraphs:{address}", label, "\n\n".join(group)))
            group.clear()

    for raw in paragraphs:
        if not raw.strip():
            continue
        if count >= limits.max_paragraphs or budget.spent():
            truncated = True
            break
        text = budget.take(" ".join(raw.split()))
        count += 1
        size = sum(len(p) + 2 for p in group)
        if group and (len(group) >= _GROUP_PARAGRAPHS or size + len(text) > TARGET_CHARS):
            close()
        if not group:
            first = count
        group.append(text)
    close()
    truncated = truncated or budget.exhausted
    reason = _caveat(parts, truncated, "paragraphs", "the document has no text")
    return Extraction(ExtractionStatus.done, tuple(parts), count, "paragraph", reason, truncated)


# --- PowerPoint -------------------------------------------------------------------------------


def _read_pptx(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    import pptx

    presentation = pptx.Presentation(str(path))
    slides = list(presentation.slides)
    parts: list[Part] = []
    for number, slide in enumerate(slides[: limits.max_slides], start=1):
        if budget.spent():
            break
        lines: list[str] = []
        title = slide.shapes.title
        if title is not None and title.has_text_frame:
            lines.append(title.text_frame.text)
        for shape in slide.shapes:
            if title is None or shape.shape_id != title.shape_id:
                lines.extend(_shape_text(shape))
        if slide.has_notes_slide:
            notes_frame = slide.notes_slide.notes_text_frame
            if notes_frame is not None and notes_frame.text.strip():
                lines.append("Notes: " + notes_frame.text)
        text = budget.take("\n".join(line.strip() for line in lines if line.strip()))
        if text:
            parts.append(Part(f"slide:{number}", f"slide {number}", text))
    truncated = budget.exhausted or len(slides) > limits.max_slides
    reason = _caveat(parts, truncated, "slides", "the slides have no text")
    return Extraction(ExtractionStatus.done, tuple(parts), len(slides), "slide", reason, truncated)


def _shape_text(shape: object, depth: int = 0) -> Iterator[str]:
    """Text of a shape: text frames, tables (a row per line) and groups (depth-limited)."""
    from pptx.shapes.group import GroupShape

    if depth > 20:
        return
    if isinstance(shape, GroupShape):  # not ``shape_type``: it raises for unusual shapes
        for inner in shape.shapes:
            yield from _shape_text(inner, depth + 1)
    elif getattr(shape, "has_text_frame", False):
        yield shape.text_frame.text  # type: ignore[attr-defined]
    elif getattr(shape, "has_table", False):
        for row in shape.table.rows:  # type: ignore[attr-defined]
            yield " | ".join(" ".join(cell.text.split()) for cell in row.cells)


# --- spreadsheets -----------------------------------------------------------------------------


class _SheetWriter:
    """Turns one sheet's non-empty cells into a ``Part`` (a line per row) within the caps."""

    def __init__(self, name: str, budget: _Budget, limits: Limits, cells_so_far: int) -> None:
        self.name, self.budget, self.limits = name, budget, limits
        self.cells = cells_so_far
        self.scanned = 0
        self.lines: list[str] = []
        self.spans: list[CellSpan] = []
        self.truncated = False

    def add_row(self, row: int, values: Sequence[tuple[int, object]]) -> bool:
        """Add a row's ``(column, value)`` pairs; False once a cap stops the sheet."""
        self.scanned += max(len(values), 1)
        if self.scanned > self.limits.max_scanned_cells or self.budget.spent():
            self.truncated = True
            return False
        cells = [(col, _cell_text(value)) for col, value in values]
        cells = [(col, text) for col, text in cells if text]
        if not cells:
            return True
        if self.cells + len(cells) > self.limits.max_cells:
            self.truncated = True
            return False
        self.cells += len(cells)
        line = " | ".join(f"{column_letter(col)}{row}: {text}" for col, text in cells)
        self.lines.append(self.budget.take(line).replace("\n", " "))
        self.spans.append(CellSpan(row, cells[0][0], cells[-1][0]))
        if self.budget.exhausted:
            self.truncated = True
        return not self.truncated

    def part(self) -> Part | None:
        if not self.lines:
            return None
        location = cell_range(sheet_ref(self.name), self.spans)
        return Part(f"sheet:{self.name}", location, "\n".join(self.lines), tuple(self.spans))


def _read_xlsx(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        parts: list[Part] = []
        cells = 0
        truncated = len(sheets) > limits.max_sheets
        for sheet in sheets[: limits.max_sheets]:
            if budget.spent():
                truncated = True
                break
            writer = _SheetWriter(sheet.title, budget, limits, cells)
            sheet.reset_dimensions()  # ignore a declared size; only rows present are visited
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                values = [(col, v) for col, v in enumerate(row, start=1) if v is not None]
                if not writer.add_row(number, values):
                    break
            cells = writer.cells
            truncated = truncated or writer.truncated
            if (part := writer.part()) is not None:
                parts.append(part)
            if writer.truncated and (budget.exhausted or cells >= limits.max_cells):
                break
    finally:
        workbook.close()
    reason = _caveat(parts, truncated, "cells", "the workbook has no values")
    return Extraction(ExtractionStatus.done, tuple(parts), len(sheets), "sheet", reason, truncated)


def _read_xls(path: Path, limits: Limits, budget: _Budget) -> Extraction:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            return Extraction.failed(_PROTECTED)
        return Extraction.failed(f"The workbook is damaged and couldn't be read ({_short(exc)}).")
    try:
        parts: list[Part] = []
        cells = 0
        truncated = book.nsheets > limits.max_sheets
        for index in range(min(book.nsheets, limits.max_sheets)):
            if budget.spent():
                truncated = True
                break
            sheet = book.sheet_by_index(index)
            writer = _SheetWriter(sheet.name, budget, limits, cells)
            for r in range(sheet.nrows):
                values = [(c + 1, _xls_value(cell, book.datemode))
                          for c, cell in enumerate(sheet.row(r))
                          if cell.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)]
                if not writer.add_row(r + 1, values):
                    break
            book.unload_sheet(index)
            cells = writer.cells
            truncated = truncated or writer.truncated
            if (part := writer.part()) is not None:
                parts.append(part)
            if writer.truncated and (budget.exhausted or cells >= limits.max_cells):
                break
        count = book.nsheets
    finally:
        book.release_resources()
    reason = _caveat(parts, truncated, "cells", "the workbook has no values")
    return Extraction(ExtractionStatus.done, tuple(parts), count, "sheet", reason, truncated)


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> object:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def _cell_text(value: object) -> str:
    """A cell value as a person reads it: 12500 not 12500.0, dates in ISO form."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


# --- shared -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """No NULs or control characters (Postgres text refuses NUL), no runs of blank lines."""
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)


def _caveat(parts: list[Part], truncated: bool, unit: str, empty: str) -> str | None:
    if truncated:
        return f"The file is very large; only its first {unit} were read."
    if not parts:
        return f"No text was found ({empty})."
    return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


_READERS = {
    "pdf": _read_pdf,
    "docx": _read_docx,
    "txt": _read_txt,
    "rtf": _read_rtf,
    "pptx": _read_pptx,
    "xlsx": _read_xlsx,
    "xls": _read_xls,
}
