"""Admin review: every user's conversations, whole transcripts, and the audit log.

Reading a transcript writes one ``transcript.view`` audit row, reading the audit log one
``audit.view`` row (with the filters used) and exporting it as CSV one ``audit.export`` row
(the filters; written before the first byte, so an interrupted download is recorded too).
Listing conversations shows titles and counts, not message content, and is not audited; a
full-text search (``q``) writes one ``conversation.search`` row with the query (not the
results). Nothing here (or anywhere in the API) changes or deletes audit rows; the database
refuses it too.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import AdminUser, RuntimeDep, StoreDep, client_ip
from api.schemas import (
    AdminConversationPage,
    AuditEntry,
    AuditPage,
    IsoDate,
    IsoDateTime,
    PlainText,
    Transcript,
    transcript_message,
    user_out,
)
from ignacio_agents.domain import ChannelName, Specialist
from ignacio_agents.errors import InvalidInput, NotFound
from ignacio_agents.store import Store
from ignacio_agents.store.audit import StoredAuditEntry
from ignacio_agents.store.base import Page
from ignacio_agents.store.conversations import ConversationSummary
from ignacio_agents.store.messages import Delivery, MessageMatch, StoredMessage

router = APIRouter(prefix="/admin", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _page(page: Page[ConversationSummary],
          matches: dict[UUID, MessageMatch] | None = None) -> AdminConversationPage:
    """The page as the admin sees it, validated in one call from plain data: building its
    300-odd models one by one cost 1.2 ms of CPU for a page of 50 searched conversations."""
    matches = matches or {}

    def match(conversation_id: UUID) -> dict[str, Any] | None:
        found = matches.get(conversation_id)
        if found is None:
            return None
        return {"message_id": found.message_id,
                "snippet": [{"text": t, "match": m} for t, m in found.parts]}

    return AdminConversationPage.model_validate({
        "items": [
            {"id": c.id, "title": c.title, "channel": c.channel, "created_at": c.created_at,
             "updated_at": c.updated_at, "user": {"id": c.user_id, "name": c.user_name},
             "message_count": c.message_count, "match": match(c.id)}
            for c in page.items
        ],
        "next_cursor": page.next_cursor,
    })


@router.get("/conversations", response_model=AdminConversationPage,
            operation_id="admin_list_conversations")
async def list_conversations(
    _admin: AdminUser, store: StoreDep, request: Request,
    user_id: UUID | None = None, cohort_id: UUID | None = None,
    channel: ChannelName | None = None, agent: Specialist | None = None,
    date_from: IsoDateTime | None = None, date_to: IsoDateTime | None = None,
    q: Annotated[PlainText | None, Query(max_length=200)] = None,
    thumbs_down: bool = False, fallback: bool = False, failed_delivery: bool = False,
    cursor: Cursor = None, limit: Limit = 50,
) -> AdminConversationPage:
    """All users' conversations, newest activity first. ``agent``: conversations answered at
    least once by that specialist; ``q``: full-text search over their messages, each result
    with the best matching message and the words around the match; dates: the conversation
    was active in that range; ``cohort_id``: the conversations of the cohort's current
    participants; ``thumbs_down`` / ``fallback`` / ``failed_delivery``: with an answer the
    participant marked 👎, a fallback answer, a delivery that failed."""
    # One connection for the page, its best matches and the audit row: three borrows from
    # the pool before, and six round trips where there are now three.
    async with store.db.connection() as conn:
        page = await store.conversations.search(
            user_id=user_id, cohort_id=cohort_id, channel=channel,
            agent=agent.value if agent else None, date_from=date_from, date_to=date_to, q=q,
            thumbs_down=thumbs_down, fallback=fallback, failed_delivery=failed_delivery,
            limit=limit, cursor=cursor, conn=conn,
        )
        matches = None
        if q:
            # A search of what participants wrote: the query is recorded, not the results,
            # before any message text is read for the page.
            await store.audit.record(
                actor_id=_admin.id, action="conversation.search", target_type="conversation",
                client_ip=client_ip(request),
                details={"q": q, "user_id": str(user_id) if user_id else None,
                         "cohort_id": str(cohort_id) if cohort_id else None,
                         "found": len(page.items)},
                conn=conn,
            )
            matches = await store.messages.best_matches([c.id for c in page.items], q,
                                                        conn=conn)
    return _page(page, matches)


async def _deliveries(store: Store, message: StoredMessage) -> list[Delivery]:
    """The parts sent for an answer by a channel that delivers after the turn (none for the
    web, which shows the answer in the response)."""
    if message.is_from_user:
        return []
    return await store.messages.deliveries(message.id)


@router.get("/conversations/{conversation_id}", response_model=Transcript,
            operation_id="admin_get_transcript")
async def get_transcript(conversation_id: UUID, admin: AdminUser, runtime: RuntimeDep,
                         request: Request) -> Transcript:
    """One conversation with all its messages (oldest first), attachments and, for answers a
    channel sent after the turn (WhatsApp), the delivery status of every part sent and, for one
    that failed, what its error code means."""
    store = runtime.store
    conversation = await store.conversations.get(conversation_id)
    if conversation is None:
        raise NotFound.of("conversation")
    user = await store.users.get(conversation.user_id)
    if user is None:
        raise NotFound.of("conversation")
    messages = await store.messages.transcript(conversation.id)
    deliveries = await asyncio.gather(*(_deliveries(store, m) for m in messages))
    await store.audit.record(
        actor_id=admin.id, action="transcript.view", target_type="conversation",
        target_id=conversation.id, client_ip=client_ip(request),
        details={"user_id": str(user.id), "messages": len(messages)},
    )
    return Transcript(
        conversation=conversation,
        user=user_out(user, await store.profiles.get(user.id)),
        messages=[transcript_message(m, d, runtime.channels)
                  for m, d in zip(messages, deliveries, strict=True)],
    )


@router.get("/users/{user_id}/conversations", response_model=AdminConversationPage,
            operation_id="admin_user_conversations")
async def user_conversations(user_id: UUID, _admin: AdminUser, store: StoreDep,
                             cursor: Cursor = None, limit: Limit = 50) -> AdminConversationPage:
    if await store.users.get(user_id) is None:
        raise NotFound.of("user")
    page = await store.conversations.search(user_id=user_id, limit=limit, cursor=cursor)
    return _page(page)


AuditAction = Annotated[PlainText | None, Query(max_length=64)]
# Calendar days in UTC, both inclusive: ``from=2026-03-01&to=2026-03-01`` is that whole day.
DayFrom = Annotated[IsoDate | None, Query(alias="from")]
DayTo = Annotated[IsoDate | None, Query(alias="to")]


def _range(day_from: date | None, day_to: date | None) -> dict[str, str]:
    if day_from and day_to and day_to < day_from:
        raise InvalidInput("to: must not be before from")
    return {k: v.isoformat() for k, v in (("from", day_from), ("to", day_to)) if v}


@router.get("/audit", response_model=AuditPage, operation_id="admin_audit")
async def audit_log(
    admin: AdminUser, store: StoreDep, request: Request,
    actor_id: UUID | None = None, action: AuditAction = None,
    day_from: DayFrom = None, day_to: DayTo = None,
    cursor: Cursor = None, limit: Limit = 50,
) -> AuditPage:
    """Newest first; ``from`` / ``to``: calendar days in UTC, both inclusive. Each row names
    its actor and target as they are called today. Viewing it is itself recorded (after the
    page is read)."""
    days = _range(day_from, day_to)
    page = await store.audit.list(actor_id=actor_id, action=action or None, date_from=day_from,
                                  date_to=day_to, limit=limit, cursor=cursor)
    filters = {"actor_id": str(actor_id) if actor_id else None, "action": action or None,
               **days, "cursor": bool(cursor)}
    await store.audit.record(
        actor_id=admin.id, action="audit.view", target_type="audit_log", client_ip=client_ip(request),
        details={k: v for k, v in filters.items() if v},
    )
    return AuditPage(items=[AuditEntry.model_validate(e.model_dump()) for e in page.items],
                     next_cursor=page.next_cursor)


CSV_COLUMNS = ("id", "seq", "created_at", "actor_id", "actor_name", "action", "target_type",
               "target_id", "target_name", "target_user_name", "client_ip", "details",
               "row_hash")


def csv_cell(value: Any) -> str:
    """One cell as text; a spreadsheet never runs it as a formula (a name "=HYPERLINK(...)")."""
    if value is None:
        return ""
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, bytes):
        text = value.hex()
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(v) for v in values])
    return out.getvalue()


async def _csv(rows: AsyncIterator[list[StoredAuditEntry]]) -> AsyncIterator[str]:
    yield csv_line(list(CSV_COLUMNS))
    async for batch in rows:
        yield "".join(csv_line([getattr(e, c) for c in CSV_COLUMNS]) for e in batch)


@router.get("/audit.csv", operation_id="admin_audit_csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}},
                             "description": "The matching rows as CSV, oldest first"}})
async def audit_csv(
    admin: AdminUser, store: StoreDep, request: Request,
    actor_id: UUID | None = None, action: AuditAction = None,
    day_from: DayFrom = None, day_to: DayTo = None,
) -> StreamingResponse:
    """The audit log for a range of days (UTC, inclusive) as CSV, streamed in chain order
    (oldest first) with each row's sequence number and hash, so a copy can be checked against
    ``ignacio verify-audit``'s head. Exporting is recorded before the first row is read."""
    days = _range(day_from, day_to)
    filters = {"actor_id": str(actor_id) if actor_id else None, "action": action or None, **days}
    await store.audit.record(
        actor_id=admin.id, action="audit.export", target_type="audit_log",
        client_ip=client_ip(request), details={k: v for k, v in filters.items() if v},
    )
    rows = store.audit.export(actor_id=actor_id, action=action or None, date_from=day_from,
                              date_to=day_to)
    name = "audit" + "".join(f"-{days[k]}" for k in ("from", "to") if k in days) + ".csv"
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{name}"',
        "cache-control": "private, no-store",
    })
