"""Reading a cohort's participants from a CSV file: what each row says, or why it cannot be used.

A spreadsheet exported by Excel or LibreOffice in Spain uses ``;``, elsewhere ``,``: the
delimiter is taken from the header line. Headers are matched without case or accents, in
either language (``name``/``nombre``, ``phone``/``teléfono``, ``language``/``idioma``,
``cohort``/``cohorte``); only name and phone are required columns. Reasons are codes the web
app puts into words; a row's phone number is never repeated back.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from ignacio_agents.crypto import InvalidPhoneNumber, normalize_phone
from ignacio_agents.errors import InvalidInput

MAX_ROWS = 2000
MAX_NAME = 255
LANGUAGES = {"es": "es", "español": "es", "espanol": "es", "spanish": "es",
             "en": "en", "english": "en", "inglés": "en", "ingles": "en"}
_HEADERS = {
    "name": "name", "nombre": "name", "full name": "name", "nombre completo": "name",
    "phone": "phone", "phone number": "phone", "telefono": "phone", "movil": "phone",
    "whatsapp": "phone", "language": "language", "idioma": "language", "lang": "language",
    "cohort": "cohort", "cohorte": "cohort", "edicion": "cohort", "edition": "cohort",
}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.strip().lower().lstrip("\ufeff"))
    return "".join(c for c in folded if not unicodedata.combining(c))


@dataclass(frozen=True)
class ParticipantRow:
    line: int  # the row's line in the file (the header is line 1)
    name: str
    phone_e164: str
    language: str
    cohort: str | None


@dataclass(frozen=True)
class RowProblem:
    line: int
    name: str | None
    reason: str  # missing_name, invalid_phone, unknown_language, duplicate_in_file, ...


class CsvUnreadable(InvalidInput):
    """The file as a whole cannot be used (no header, missing columns, too many rows): a 422
    whose code is the reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail, code=reason)
        self.reason = reason


def read_participants(text: str, default_region: str | None,
                      default_language: str = "es") -> tuple[list[ParticipantRow], list[RowProblem]]:
    """Every data row, as a participant to enrol or the reason it cannot be."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CsvUnreadable("no_header", "The file is empty or its first line is blank.")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_HEADERS.get(_key(h), "") for h in next(reader)]
    missing = [c for c in ("name", "phone") if c not in header]
    if missing:
        raise CsvUnreadable("missing_columns", f"Missing column(s): {', '.join(missing)}.")
    at = {column: header.index(column) for column in set(header) if column}
    rows: list[ParticipantRow] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(rows) + len(problems) >= MAX_ROWS:
            raise CsvUnreadable("too_many_rows", f"More than {MAX_ROWS} rows: split the file.")

        def cell(column: str, values: list[str] = values) -> str:
            index = at.get(column)
            return values[index].strip() if index is not None and index < len(values) else ""

        name = cell("name")[:MAX_NAME] or None
        problem = _problem(name, cell("phone"), cell("language"), default_region, seen)
        if isinstance(problem, str):
            problems.append(RowProblem(line=line, name=name, reason=problem))
            continue
        phone, language = problem
        assert name is not None
        seen.add(phone)
        rows.append(ParticipantRow(line=line, name=name, phone_e164=phone,
                                   language=language or default_language,
                                   cohort=cell("cohort") or None))
    return rows, problems


def _problem(name: str | None, phone: str, language: str, region: str | None,
             seen: set[str]) -> str | tuple[str, str | None]:
    """The row's reason to be refused, or its (phone in E.164, language code)."""
    if not name:
        return "missing_name"
    if not phone:
        return "missing_phone"
    try:
        e164 = normalize_phone(phone, region)
    except InvalidPhoneNumber:
        return "invalid_phone"
    if e164 in seen:
        return "duplicate_in_file"
    code = LANGUAGES.get(_key(language)) if language else None
    if language and code is None:
        return "unknown_language"
    return e164, code
