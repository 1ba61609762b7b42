"""Cohorts: admins create and edit editions of the program, assign participants and mentors.

Every change writes one audit row in its own transaction: ``cohort.create``, ``cohort.update``
(``details.changes`` lists each changed field as ``{"from", "to"}``), ``cohort.members_add``
(the ids that moved), ``cohort.member_remove``, ``cohort.mentor_add``, ``cohort.mentor_remove``.
Assigning a participant who is in another cohort moves them: the old membership is closed and
kept as history (``GET /admin/users/{id}/cohorts``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.cohort_schemas import (
    Cohort,
    CohortCreate,
    CohortHistory,
    CohortMembersAdd,
    CohortMembersAdded,
    CohortMembership,
    CohortPage,
    CohortUpdate,
)
from api.deps import AdminUser, StoreDep, client_ip
from api.schemas import ErrorResponse
from ignacio_agents.errors import InvalidInput, NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.cohorts import StoredCohort

router = APIRouter(prefix="/admin", tags=["cohorts"])

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "The name is taken"}}


def _out(cohort: StoredCohort) -> Cohort:
    return Cohort.model_validate(cohort.model_dump())


async def _cohort_or_404(store: Store, cohort_id: UUID) -> StoredCohort:
    cohort = await store.cohorts.get(cohort_id)
    if cohort is None:
        raise NotFound.of("cohort")
    return cohort


@router.get("/cohorts", response_model=CohortPage, operation_id="admin_list_cohorts")
async def list_cohorts(
    _admin: AdminUser, store: StoreDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CohortPage:
    """Newest first, with how many participants each has now."""
    page = await store.cohorts.page(limit=limit, cursor=cursor)
    return CohortPage(items=[_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.post("/cohorts", status_code=201, response_model=Cohort, operation_id="admin_create_cohort",
             responses=_CONFLICT)
async def create_cohort(body: CohortCreate, admin: AdminUser, store: StoreDep,
                        request: Request) -> Cohort:
    fields = body.model_dump(mode="json")
    fields["name"] = _clean_name(body.name)
    fields["starts_on"], fields["ends_on"] = body.starts_on, body.ends_on
    async with store.db.transaction() as tx:
        cohort = await store.cohorts.create(conn=tx, **fields)
        await store.audit.record(
            actor_id=admin.id, action="cohort.create", target_type="cohort", target_id=cohort.id,
            client_ip=client_ip(request), details={"name": cohort.name}, conn=tx,
        )
    return _out(cohort)


@router.get("/cohorts/{cohort_id}", response_model=Cohort, operation_id="admin_get_cohort")
async def get_cohort(cohort_id: UUID, _admin: AdminUser, store: StoreDep) -> Cohort:
    return _out(await _cohort_or_404(store, cohort_id))


@router.put("/cohorts/{cohort_id}", response_model=Cohort, operation_id="admin_update_cohort",
            responses=_CONFLICT)
async def update_cohort(cohort_id: UUID, body: CohortUpdate, admin: AdminUser, store: StoreDep,
                        request: Request) -> Cohort:
    """Only the fields sent change; a cap sent as ``null`` is removed."""
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    for required in ("name", "starts_on", "ends_on", "language", "retention_days"):
        if required in fields and fields[required] is None:
            raise InvalidInput(f"{required}: must not be null")
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    if "language" in fields:
        fields["language"] = fields["language"].value
    async with store.db.transaction() as tx:
        before = await store.cohorts.get(cohort_id, conn=tx)
        if before is None:
            raise NotFound.of("cohort")
        starts = fields.get("starts_on", before.starts_on)
        if fields.get("ends_on", before.ends_on) < starts:
            raise InvalidInput("ends_on: must not be before starts_on")
        after = await store.cohorts.update(cohort_id, conn=tx, **fields)
        assert after is not None
        changes = {k: {"from": _plain(getattr(before, k)), "to": _plain(getattr(after, k))}
                   for k in fields if getattr(before, k) != getattr(after, k)}
        await store.audit.record(
            actor_id=admin.id, action="cohort.update", target_type="cohort", target_id=cohort_id,
            client_ip=client_ip(request), details={"changes": changes}, conn=tx,
        )
    return _out(after)


@router.post("/cohorts/{cohort_id}/members", response_model=CohortMembersAdded,
             operation_id="admin_add_cohort_members")
async def add_members(cohort_id: UUID, body: CohortMembersAdd, admin: AdminUser,
                      store: StoreDep, request: Request) -> CohortMembersAdded:
    """Put participants in the cohort (moving them out of any other). Unknown ids are a 422."""
    await _cohort_or_404(store, cohort_id)
    wanted = list(dict.fromkeys(body.user_ids))
    async with store.db.transaction() as tx:
        known = await store.db.fetch_all(lambda r: r["id"], "select id from users where id = any(%s)",
                                         wanted, conn=tx)
        if missing := set(wanted) - set(known):
            raise InvalidInput(f"user_ids: {len(missing)} unknown user id(s)")
        moved = await store.cohorts.add_members(cohort_id, wanted, conn=tx)
        await store.audit.record(
            actor_id=admin.id, action="cohort.members_add", target_type="cohort",
            target_id=cohort_id, client_ip=client_ip(request),
            details={"user_ids": [str(u) for u in moved]}, conn=tx,
        )
    return CohortMembersAdded(moved=moved)


@router.delete("/cohorts/{cohort_id}/members/{user_id}", status_code=204,
               operation_id="admin_remove_cohort_member")
async def remove_member(cohort_id: UUID, user_id: UUID, admin: AdminUser, store: StoreDep,
                        request: Request) -> Response:
    async with store.db.transaction() as tx:
        if not await store.cohorts.remove_member(cohort_id, user_id, conn=tx):
            raise NotFound.of("cohort member")
        await store.audit.record(
            actor_id=admin.id, action="cohort.member_remove", target_type="cohort",
            target_id=cohort_id, client_ip=client_ip(request),
            details={"user_id": str(user_id)}, conn=tx,
        )
    return Response(status_code=204)


@router.put("/cohorts/{cohort_id}/mentors/{user_id}", status_code=204,
            operation_id="admin_add_cohort_mentor")
async def add_mentor(cohort_id: UUID, user_id: UUID, admin: AdminUser, store: StoreDep,
                     request: Request) -> Response:
    """Make a user a mentor of the cohort (idempotent)."""
    await _cohort_or_404(store, cohort_id)
    if await store.users.get(user_id) is None:
        raise NotFound.of("user")
    async with store.db.transaction() as tx:
        if await store.cohorts.add_mentor(cohort_id, user_id, conn=tx):
            await store.audit.record(
                actor_id=admin.id, action="cohort.mentor_add", target_type="cohort",
                target_id=cohort_id, client_ip=client_ip(request),
                details={"user_id": str(user_id)}, conn=tx,
            )
    return Response(status_code=204)


@router.delete("/cohorts/{cohort_id}/mentors/{user_id}", status_code=204,
               operation_id="admin_remove_cohort_mentor")
async def remove_mentor(cohort_id: UUID, user_id: UUID, admin: AdminUser, store: StoreDep,
                        request: Request) -> Response:
    async with store.db.transaction() as tx:
        if not await store.cohorts.remove_mentor(cohort_id, user_id, conn=tx):
            raise NotFound.of("cohort mentor")
        await store.audit.record(
            actor_id=admin.id, action="cohort.mentor_remove", target_type="cohort",
            target_id=cohort_id, client_ip=client_ip(request),
            details={"user_id": str(user_id)}, conn=tx,
        )
    return Response(status_code=204)


@router.get("/users/{user_id}/cohorts", response_model=CohortHistory,
            operation_id="admin_user_cohorts")
async def user_cohorts(user_id: UUID, _admin: AdminUser, store: StoreDep) -> CohortHistory:
    """Every cohort the participant has been in, the current one first."""
    if await store.users.get(user_id) is None:
        raise NotFound.of("user")
    history = await store.cohorts.history(user_id)
    return CohortHistory(items=[CohortMembership.model_validate(m.model_dump()) for m in history])


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name: must not be blank")
    return name


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
