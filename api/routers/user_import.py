"""Enrolling a cohort's participants from a CSV file: every good row becomes a participant (in
the named cohort, if any), every bad one is reported with its line and reason; one audit row
for the import, one per participant created, as when they are created one by one."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from api.deps import AdminUser, RuntimeDep, client_ip
from api.participant_csv import read_participants
from api.schemas import ErrorResponse
from ignacio_agents.errors import InvalidInput, Unsupported
from ignacio_agents.store import Store
from ignacio_agents.store.users import PhoneAlreadyEnrolled

router = APIRouter(prefix="/admin", tags=["users"])

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "UTF-8 CSV with a header line: name, phone, and optionally language"
                       " (es/en) and cohort (its name); ',' or ';' between columns",
    }
}


class ImportProblem(BaseModel):
    line: int  # the file's line (the header is line 1)
    name: str | None
    reason: str  # a code the web app puts into words
    # missing_name, missing_phone, invalid_phone, duplicate_in_file, unknown_language,
    # already_enrolled, unknown_cohort


class ImportReport(BaseModel):
    created: int
    problems: list[ImportProblem]


class CsvRefused(InvalidInput):
    code = "csv_unreadable"


async def _cohort_ids(store: Store) -> dict[str, UUID]:
    """Cohort names (case-insensitive) and ids, to find the one a row names."""
    found: dict[str, UUID] = {}
    cursor: str | None = None
    while True:
        page = await store.cohorts.page(limit=200, cursor=cursor)
        for c in page.items:
            found[c.name.strip().lower()] = c.id
            found[str(c.id)] = c.id
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


@router.post("/users/import", response_model=ImportReport, operation_id="import_users",
             openapi_extra=_CSV_BODY,
             responses={415: {"model": ErrorResponse, "description": "Not a CSV body"},
                        422: {"model": ErrorResponse, "description": "No usable header"}})
async def import_users(request: Request, admin: AdminUser, runtime: RuntimeDep,
                       content_type: Annotated[str | None, Header()] = None) -> ImportReport:
    """Enrol every participant the file lists; report, by line, the rows that were not."""
    if (content_type or "").split(";")[0].strip().lower() not in ("text/csv", "text/plain"):
        raise UnsupportedCsv()
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRefused("The file is not UTF-8 text: save it as 'CSV UTF-8'.") from None
    settings, store = runtime.settings, runtime.store
    rows, problems = read_participants(text, settings.default_phone_region)  # CsvUnreadable: 422
    report = [ImportProblem(line=p.line, name=p.name, reason=p.reason) for p in problems]
    cohorts = await _cohort_ids(store) if any(r.cohort for r in rows) else {}
    created = 0
    ip = client_ip(request)
    for row in rows:
        cohort_id = cohorts.get(row.cohort.strip().lower()) if row.cohort else None
        if row.cohort and cohort_id is None:
            report.append(ImportProblem(line=row.line, name=row.name, reason="unknown_cohort"))
            continue
        try:
            async with store.db.transaction() as tx:  # each participant with its audit row
                user = await store.users.create(row.phone_e164, row.name,
                                                preferred_language=row.language, conn=tx)
                if cohort_id:
                    await store.cohorts.add_members(cohort_id, [user.id], conn=tx)
                await store.audit.record(
                    actor_id=admin.id, action="user.create", target_type="user",
                    target_id=user.id, client_ip=ip,
                    details={"name": user.name, "is_admin": False, "via": "csv_import",
                             "preferred_language": user.preferred_language,
                             "cohort_id": str(cohort_id) if cohort_id else None},
                    conn=tx,
                )
            created += 1
        except PhoneAlreadyEnrolled:
            report.append(ImportProblem(line=row.line, name=row.name, reason="already_enrolled"))
    report.sort(key=lambda p: p.line)
    await store.audit.record(
        actor_id=admin.id, action="user.import", target_type="user", client_ip=ip,
        details={"created": created, "refused": len(report), "lines": len(rows) + len(problems)},
    )
    return ImportReport(created=created, problems=report)


class UnsupportedCsv(Unsupported):
    code = "unsupported_media_type"
    default_message = "Send the file as text/csv."
