"""One live stream per signed-in tab: what changed in the conversations the user may see.

A tab opens ``GET /events`` once and keeps it open. The stream says ``ready`` first (the tab
then reloads what it shows, covering anything that changed while it was not connected), then
one ``change`` per event its user may see (their own conversations; their participants' for a
mentor; everyone's for an admin),
``resync`` when some were missed, and a comment heartbeat that keeps proxies from closing it.

Events carry ids and states, never content: the tab reads the content through the API, so
authorisation stays where it is. The stream ends when the access token expires, the session
ends, the account is deactivated or its admin role changes, and when the server stops; the tab
reconnects with a fresh token.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import ClaimsDep, CurrentUser
from api.sse import HEARTBEAT_SECONDS, sse
from api.tokens import AccessClaims
from ignacio_agents.notify import EventHub, LiveEvent
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.users import StoredUser

router = APIRouter(tags=["events"])


class StreamReady(BaseModel):
    """The first event of a stream."""

    type: Literal["ready"] = "ready"
    admin: bool  # whether the stream carries everyone's changes
    heartbeat_seconds: float


class StreamChange(LiveEvent):
    """A change the tab may see: reload what shows it (``kind`` says what changed)."""

    type: Literal["change"] = "change"


class StreamResync(BaseModel):
    """Some changes were missed: reload everything shown."""

    type: Literal["resync"] = "resync"


async def _still_allowed(runtime: Runtime, user: StoredUser, claims: AccessClaims) -> bool:
    """The checks every request makes, repeated while the stream is idle."""
    if await runtime.store.sessions.get_active(claims.sid) is None:
        return False
    fresh = await runtime.store.users.get(user.id)
    return (fresh is not None and fresh.is_active and fresh.is_admin == user.is_admin
            and fresh.is_mentor == user.is_mentor)


async def _participants(runtime: Runtime, user: StoredUser) -> frozenset[UUID]:
    """A mentor's tabs also hear of their participants' changes (admins hear everyone's)."""
    if not user.is_mentor or user.is_admin:
        return frozenset()
    return frozenset(a.participant_id for a in await runtime.store.mentoring.participants(user.id))


async def _stream(runtime: Runtime, hub: EventHub, user: StoredUser, claims: AccessClaims,
                  heartbeat: float) -> AsyncIterator[bytes]:
    participants = await _participants(runtime, user)
    async with hub.subscribe(user.id, is_admin=user.is_admin, participants=participants) as sub:
        yield sse("ready", StreamReady(admin=user.is_admin,
                                       heartbeat_seconds=heartbeat).model_dump())
        while not hub.closing:
            remaining = claims.exp - time.time()
            if remaining <= 0:
                return
            signal = await sub.next(min(heartbeat, remaining))
            if signal is None:
                if not await _still_allowed(runtime, user, claims):
                    return
                sub.participants = await _participants(runtime, user)  # assignments change
                yield b": keep-alive\n\n"
            elif signal == "closing":
                return
            elif signal == "resync":
                yield sse("resync", StreamResync().model_dump())
            else:
                change = StreamChange(**signal.model_dump())
                yield sse("change", change.model_dump(mode="json"))


@router.get(
    "/events", operation_id="live_events", response_class=StreamingResponse,
    responses={200: {
        "description": "Server-Sent Events: `ready`, then `change` and `resync` (JSON data as "
                       "the schemas below), with `: keep-alive` comments while idle.",
        "content": {"text/event-stream": {"schema": {
            "oneOf": [m.model_json_schema() for m in (StreamReady, StreamChange, StreamResync)],
        }}},
    }},
)
async def live_events(request: Request, user: CurrentUser, claims: ClaimsDep) -> StreamingResponse:
    """This tab's live changes: the user's own conversations and messages (also their
    participants' for a mentor, all users' for an admin). Open one per tab; reconnect when it
    ends."""
    runtime: Runtime = request.app.state.runtime
    hub: EventHub = request.app.state.events
    heartbeat = getattr(request.app.state, "events_heartbeat", HEARTBEAT_SECONDS)
    return StreamingResponse(
        _stream(runtime, hub, user, claims, heartbeat), media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
