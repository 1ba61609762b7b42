"""What Ignacio remembers about a participant: their notes, to read and to delete.

The notes are what every turn is told about the participant beyond the replayed turns (the
running summaries of their conversations, on every channel; see
``ignacio_agents.participant_memory``). The participant lists theirs and deletes any of them:
a deleted note is out of the very next turn and never comes back from a later fold. Admins read
a participant's notes beside their transcripts; each read writes one ``memory.view`` audit row
(``target_id`` = the participant, ``details.notes`` = how many were shown), like
``transcript.view``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from api.deps import AdminUser, CurrentUser, StoreDep, client_ip
from ignacio_agents.domain import ChannelName
from ignacio_agents.errors import NotFound
from ignacio_agents.store.base import Page
from ignacio_agents.store.memory import MemoryItem
from ignacio_agents.summaries import MemoryKind

router = APIRouter(tags=["memory"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


class MemoryNote(BaseModel):
    """One thing Ignacio remembers, with where and when it was said."""

    id: UUID
    kind: MemoryKind
    text: str
    channel: ChannelName
    conversation_id: UUID
    conversation_title: str | None
    said_at: datetime  # when the turn it comes from happened
    created_at: datetime  # when it was noted


class MemoryPage(BaseModel):
    items: list[MemoryNote]
    next_cursor: str | None = None


def _page(page: Page[MemoryItem]) -> MemoryPage:
    return MemoryPage(
        items=[MemoryNote(id=i.id, kind=MemoryKind(i.kind), text=i.text, channel=i.channel,
                          conversation_id=i.conversation_id,
                          conversation_title=i.conversation_title, said_at=i.source_at,
                          created_at=i.created_at) for i in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/users/me/memory", response_model=MemoryPage, operation_id="get_my_memory")
async def my_memory(user: CurrentUser, store: StoreDep, cursor: Cursor = None,
                    limit: Limit = 50) -> MemoryPage:
    """What Ignacio remembers about you, newest first, from all your conversations."""
    return _page(await store.memory.page(user.id, limit=limit, cursor=cursor))


@router.delete("/users/me/memory/{note_id}", status_code=204, operation_id="forget_my_note")
async def forget_note(note_id: UUID, user: CurrentUser, store: StoreDep) -> Response:
    """Make Ignacio forget one note: gone from the next answer on, and never noted again."""
    if not await store.memory.forget(note_id, user_id=user.id):
        raise NotFound.of("note")
    return Response(status_code=204)


@router.get("/admin/users/{user_id}/memory", response_model=MemoryPage,
            operation_id="admin_user_memory", tags=["admin"])
async def user_memory(user_id: UUID, admin: AdminUser, store: StoreDep, request: Request,
                      cursor: Cursor = None, limit: Limit = 50) -> MemoryPage:
    """A participant's notes, as they see them (the read is audited)."""
    if await store.users.get(user_id) is None:
        raise NotFound.of("user")
    page = await store.memory.page(user_id, limit=limit, cursor=cursor)
    await store.audit.record(
        actor_id=admin.id, action="memory.view", target_type="user", target_id=user_id,
        client_ip=client_ip(request), details={"notes": len(page.items), "cursor": bool(cursor)},
    )
    return _page(page)
