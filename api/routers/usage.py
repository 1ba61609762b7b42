"""Usage and cost for admins (by cohort, participant or day, as JSON or CSV) and lifting a
participant's token caps.

Lifting writes a ``usage.cap_lift`` audit row (``details.until``), ending a lift
``usage.cap_unlift``; exporting the CSV writes ``usage.export`` (the filters used).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import AdminUser, StoreDep, client_ip
from api.schemas import Input, IsoDateTime
from ignacio_agents.errors import InvalidInput, NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.usage import UsageRow
from ignacio_agents.usage_caps import resets_at

router = APIRouter(prefix="/admin", tags=["usage"])


class UsageGroup(StrEnum):
    cohort = "cohort"
    participant = "participant"
    day = "day"


class UsageItem(BaseModel):
    key: str | None  # cohort id, participant id or YYYY-MM-DD; null: no cohort / deleted participant
    label: str | None  # cohort or participant name
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


class UsageReport(BaseModel):
    group: UsageGroup
    items: list[UsageItem]


class CapLift(Input):
    until: datetime | None = None  # default: the start of next month (UTC)


class CapLiftOut(BaseModel):
    user_id: UUID
    lifted_until: datetime


async def _rows(store: Store, group: UsageGroup, date_from: datetime | None,
                date_to: datetime | None, cohort_id: UUID | None) -> list[UsageRow]:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("date_to: must not be before date_from")
    return await store.usage.report(group.value, date_from=date_from, date_to=date_to,
                                    cohort_id=cohort_id)


@router.get("/usage", response_model=UsageReport, operation_id="admin_usage")
async def usage_report(_admin: AdminUser, store: StoreDep, group: UsageGroup = UsageGroup.cohort,
                       date_from: IsoDateTime | None = None, date_to: IsoDateTime | None = None,
                       cohort_id: UUID | None = None) -> UsageReport:
    """Tokens and USD cost summed by ``group`` (days in order, the others biggest spend first)."""
    rows = await _rows(store, group, date_from, date_to, cohort_id)
    return UsageReport(group=group, items=[UsageItem.model_validate(r.model_dump()) for r in rows])


@router.get("/usage.csv", operation_id="admin_usage_csv",
            responses={200: {"content": {"text/csv": {}}, "description": "The report as CSV"}})
async def usage_csv(admin: AdminUser, store: StoreDep, request: Request,
                    group: UsageGroup = UsageGroup.cohort, date_from: IsoDateTime | None = None,
                    date_to: IsoDateTime | None = None, cohort_id: UUID | None = None) -> Response:
    rows = await _rows(store, group, date_from, date_to, cohort_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([group.value, "name", "requests", "input_tokens", "output_tokens", "cost_usd"])
    for r in rows:
        writer.writerow([r.key or "", _cell(r.label), r.requests, r.input_tokens,
                         r.output_tokens, f"{r.cost_usd:f}"])
    await store.audit.record(
        actor_id=admin.id, action="usage.export", target_type="usage", client_ip=client_ip(request),
        details={"group": group.value, "date_from": _iso(date_from), "date_to": _iso(date_to),
                 "cohort_id": str(cohort_id) if cohort_id else None, "rows": len(rows)},
    )
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="usage-by-{group.value}.csv"'})


@router.put("/users/{user_id}/usage-cap-lift", response_model=CapLiftOut,
            operation_id="admin_lift_usage_cap")
async def lift_cap(user_id: UUID, body: CapLift, admin: AdminUser, store: StoreDep,
                   request: Request) -> CapLiftOut:
    """Let one participant past their participant caps until ``until`` (cohort and global caps
    still apply: they protect the program's budget)."""
    now = datetime.now(UTC)
    until = body.until or resets_at("month", now)
    if until.tzinfo is None or until <= now:
        raise InvalidInput("until: must be a future date-time with a time zone")
    async with store.db.transaction() as tx:
        if await store.users.get(user_id, conn=tx) is None:
            raise NotFound.of("user")
        await store.usage.lift(user_id, until, by=admin.id, conn=tx)
        await store.audit.record(
            actor_id=admin.id, action="usage.cap_lift", target_type="user", target_id=user_id,
            client_ip=client_ip(request), details={"until": until.isoformat()}, conn=tx,
        )
    return CapLiftOut(user_id=user_id, lifted_until=until)


@router.delete("/users/{user_id}/usage-cap-lift", status_code=204,
               operation_id="admin_end_usage_cap_lift")
async def end_lift(user_id: UUID, admin: AdminUser, store: StoreDep, request: Request) -> Response:
    async with store.db.transaction() as tx:
        if not await store.usage.unlift(user_id, conn=tx):
            raise NotFound.of("cap lift")
        await store.audit.record(
            actor_id=admin.id, action="usage.cap_unlift", target_type="user", target_id=user_id,
            client_ip=client_ip(request), conn=tx,
        )
    return Response(status_code=204)


def _cell(value: str | None) -> str:
    """A spreadsheet never runs a cell as a formula (a participant named "=HYPERLINK(...)")."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
