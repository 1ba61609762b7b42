"""The attention queue: what needs a human, for mentors (their participants) and admins
(everyone). Claiming, snoozing and resolving are audited; resolving removes the item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import StaffUser, StoreDep, client_ip
from api.schemas import Input, PlainText, UserRef
from ignacio_agents.errors import NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.attention import AttentionItem, AttentionKind
from ignacio_agents.store.users import StoredUser

router = APIRouter(prefix="/mentor/queue", tags=["mentor"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


class QueueItem(BaseModel):
    id: UUID
    kind: AttentionKind
    conversation_id: UUID
    # The exact message to open the transcript at.
    message_id: UUID
    participant: UserRef
    created_at: datetime
    excerpt: str | None
    claimed_by: UserRef | None
    snoozed_until: datetime | None
    feedback_tags: list[str] | None
    feedback_comment: str | None


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = None


class QueueCounts(BaseModel):
    total: int
    by_kind: dict[AttentionKind, int]


class ResolveIn(Input):
    note: PlainText = Field(min_length=1, max_length=2000)


class SnoozeIn(Input):
    minutes: int = Field(ge=5, le=60 * 24 * 14, description="How long to hide the item.")


def _item(i: AttentionItem) -> QueueItem:
    return QueueItem(
        id=i.id, kind=i.kind, conversation_id=i.conversation_id, message_id=i.message_id,
        participant=UserRef(id=i.user_id, name=i.user_name), created_at=i.created_at,
        excerpt=i.excerpt,
        claimed_by=UserRef(id=i.claimed_by, name=i.claimed_by_name) if i.claimed_by else None,
        snoozed_until=i.snoozed_until, feedback_tags=i.feedback_tags,
        feedback_comment=i.feedback_comment,
    )


def _scope(staff: StoredUser) -> UUID | None:
    return None if staff.is_admin else staff.id


async def _open_item(store: Store, staff: StoredUser, item_id: UUID) -> AttentionItem:
    item = await store.attention.get(item_id, mentor_id=_scope(staff))
    if item is None or item.resolved_at is not None:
        raise NotFound.of("queue item")
    return item


@router.get("", response_model=QueuePage, operation_id="queue_list")
async def list_queue(staff: StaffUser, store: StoreDep, kind: AttentionKind | None = None,
                     include_snoozed: bool = False, cursor: Cursor = None,
                     limit: Limit = 50) -> QueuePage:
    """Open items, newest first (snoozed ones hidden until their time, unless asked for)."""
    page = await store.attention.open(mentor_id=_scope(staff), kind=kind,
                                      include_snoozed=include_snoozed, limit=limit, cursor=cursor)
    return QueuePage(items=[_item(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/counts", response_model=QueueCounts, operation_id="queue_counts")
async def queue_counts(staff: StaffUser, store: StoreDep) -> QueueCounts:
    """Open, unsnoozed items per kind: the navigation's badge."""
    counts = await store.attention.counts(mentor_id=_scope(staff))
    return QueueCounts(total=sum(counts.values()),
                       by_kind={AttentionKind(k): n for k, n in counts.items()})


@router.post("/{item_id}/claim", response_model=QueueItem, operation_id="queue_claim")
async def claim(item_id: UUID, staff: StaffUser, store: StoreDep, request: Request) -> QueueItem:
    item = await _open_item(store, staff, item_id)
    async with store.db.transaction() as tx:
        await store.attention.claim(item.id, staff.id, conn=tx)
        await store.audit.record(actor_id=staff.id, action="queue.claim", target_type="queue_item",
                                 target_id=item.id, client_ip=client_ip(request),
                                 details={"kind": item.kind.value,
                                          "conversation_id": str(item.conversation_id)}, conn=tx)
    return _item(await _open_item(store, staff, item_id))


@router.post("/{item_id}/snooze", response_model=QueueItem, operation_id="queue_snooze")
async def snooze(item_id: UUID, body: SnoozeIn, staff: StaffUser, store: StoreDep,
                 request: Request) -> QueueItem:
    item = await _open_item(store, staff, item_id)
    until = datetime.now(UTC) + timedelta(minutes=body.minutes)
    async with store.db.transaction() as tx:
        await store.attention.snooze(item.id, until, conn=tx)
        await store.audit.record(actor_id=staff.id, action="queue.snooze", target_type="queue_item",
                                 target_id=item.id, client_ip=client_ip(request),
                                 details={"kind": item.kind.value, "minutes": body.minutes}, conn=tx)
    return _item(await _open_item(store, staff, item_id))


@router.post("/{item_id}/resolve", status_code=204, operation_id="queue_resolve")
async def resolve(item_id: UUID, body: ResolveIn, staff: StaffUser, store: StoreDep,
                  request: Request) -> None:
    """Resolve with a note: the item leaves the queue; the note stays in the audit log."""
    item = await _open_item(store, staff, item_id)
    async with store.db.transaction() as tx:
        if not await store.attention.resolve(item.id, staff.id, body.note, conn=tx):
            raise NotFound.of("queue item")
        await store.audit.record(actor_id=staff.id, action="queue.resolve",
                                 target_type="queue_item", target_id=item.id,
                                 client_ip=client_ip(request),
                                 details={"kind": item.kind.value, "note": body.note,
                                          "conversation_id": str(item.conversation_id)}, conn=tx)
