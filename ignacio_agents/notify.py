"""Live change events through PostgreSQL ``LISTEN/NOTIFY``: what changed, for whom.

Whatever changes a conversation or a message (a channel storing an inbound message, the engine
storing an answer or a title, a delivery status arriving) calls :func:`publish` on the
connection it wrote with. ``pg_notify`` is transactional: inside a transaction the event is sent
when it commits and never when it rolls back, so no listener hears of a change it cannot read.

Every process that serves browsers runs one :class:`EventHub`: a single dedicated connection
that ``LISTEN``\\s and fans each event out to the subscribers allowed to see it (the user it
belongs to, and admins). Because the events go through the database, a change made by any
process (another API process, a worker) reaches every tab, whichever process it is connected
to: no broker, no in-process-only bus.

An event names ids and states only, never message content: a NOTIFY payload is limited to
8000 bytes, and clients read the content itself through the API, under its own authorisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import psycopg
from pydantic import BaseModel, ValidationError

from ignacio_agents.db import Conn

log = logging.getLogger(__name__)

CHANNEL = "ignacio_events"
MAX_PAYLOAD_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more

EventKind = Literal[
    "conversation.created",
    "conversation.updated",  # title, or anything shown in a conversation list
    "conversation.deleted",
    "message.created",
    "message.updated",  # delivery status, feedback, content
]


class LiveEvent(BaseModel):
    """One change, as published and as sent to browsers."""

    kind: EventKind
    user_id: UUID  # whose data changed: decides who may hear of it
    conversation_id: UUID | None = None
    message_id: UUID | None = None
    data: dict[str, Any] = {}  # small facts (a status, an error code), never content


async def publish(conn: Conn, kind: EventKind, payload: Mapping[str, Any]) -> None:
    """Announce a change on ``conn``: sent at commit when ``conn`` is in a transaction, at once
    otherwise. ``payload`` holds ``user_id`` and the other :class:`LiveEvent` fields."""
    await conn.execute("select pg_notify(%s, %s)", (CHANNEL, event_body(kind, payload)))


def event_body(kind: EventKind, payload: Mapping[str, Any]) -> str:
    """The NOTIFY payload of an event, for a statement that sends it itself (a bulk insert
    announcing each row it stored: ``pg_notify(CHANNEL, body)`` per row)."""
    body = LiveEvent(kind=kind, **payload).model_dump_json()
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"live event {kind} is {len(body)} bytes; events carry ids, not content")
    return body


# A subscriber's queue holds at most this many events; one that falls further behind (a stalled
# tab) is told to resynchronise instead of the hub buffering without bound.
QUEUE_SIZE = 256

# "closing": the process is stopping; streams end so the server need not wait for them.
Signal = LiveEvent | Literal["resync", "closing"]


@dataclass(eq=False)
class Subscription:
    """One listening tab: the events it may see, in order, plus ``"resync"`` when some were
    missed (the hub reconnected, or the tab fell behind) and it should reload what it shows."""

    user_id: UUID
    is_admin: bool
    # A mentor's participants: their changes reach the mentor's tabs too (kept current by the
    # stream, which reloads them while idle).
    participants: frozenset[UUID] = frozenset()
    queue: asyncio.Queue[Signal] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def may_see(self, event: LiveEvent) -> bool:
        return (self.is_admin or event.user_id == self.user_id
                or event.user_id in self.participants)

    def offer(self, signal: Signal, *, force: bool = False) -> None:
        if force:
            with contextlib.suppress(asyncio.QueueEmpty):
                while self.queue.full():
                    self.queue.get_nowait()
            self.queue.put_nowait(signal)
            return
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(signal)
        except asyncio.QueueFull:
            # Drop what is queued: one resync replaces it all.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait("resync")

    async def next(self, within: float) -> Signal | None:
        """The next signal, or None after ``within`` seconds of silence."""
        try:
            signal = await asyncio.wait_for(self.queue.get(), within)
        except TimeoutError:
            return None
        if signal == "resync":
            self.overflowed = False
        return signal


# A participant's Stop, for whichever process is writing that answer: its own channel, since
# it is an instruction between processes and never reaches a browser tab.
STOP_CHANNEL = "ignacio_turn_stops"


async def request_stop(conn: Conn, conversation_id: UUID) -> None:
    """Ask every process to stop the answer it is writing in ``conversation_id`` (a Stop that
    reached another process than the one streaming it, behind a load balancer)."""
    await conn.execute("select pg_notify(%s, %s)", (STOP_CHANNEL, str(conversation_id)))


StopHandler = Callable[[UUID], object]


class EventHub:
    """Listens on one dedicated connection and fans events out to this process's subscribers.

    The connection is opened in :meth:`start` and reopened after any failure (a database
    restart, a network cut), with back-off; subscribers are told to resync after a reconnect,
    since events sent while nobody listened are gone.
    """

    def __init__(self, conninfo: str, *, reconnect_delay: float = 0.5,
                 max_reconnect_delay: float = 10.0):
        self.conninfo = conninfo
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self._subscribers: set[Subscription] = set()
        self._stop_handlers: list[StopHandler] = []
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closing = False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def closing(self) -> bool:
        return self._closing

    def close_streams(self) -> None:
        """Tell every subscriber to finish (the server is stopping: open streams would
        otherwise hold its graceful shutdown until the timeout)."""
        self._closing = True
        for sub in list(self._subscribers):
            sub.offer("closing", force=True)

    async def start(self, *, wait: float = 10.0) -> None:
        """Start listening; returns once ``LISTEN`` is in place (or after ``wait`` seconds, the
        hub then keeps trying in the background)."""
        self._task = asyncio.create_task(self._run(), name="live-events")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), wait)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: UUID, *, is_admin: bool,
                        participants: frozenset[UUID] = frozenset()
                        ) -> AsyncIterator[Subscription]:
        sub = Subscription(user_id=user_id, is_admin=is_admin, participants=participants)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def on_stop(self, handler: StopHandler) -> None:
        """Call ``handler(conversation_id)`` for every ``turn.stop`` heard (from any process)."""
        self._stop_handlers.append(handler)

    def dispatch_stop(self, payload: str) -> None:
        try:
            conversation_id = UUID(payload)
        except ValueError:
            log.warning("ignoring a malformed stop request (%d bytes)", len(payload))
            return
        for handler in self._stop_handlers:
            handler(conversation_id)

    def dispatch(self, payload: str) -> None:
        try:
            event = LiveEvent.model_validate_json(payload)
        except ValidationError:
            log.warning("ignoring a malformed live event (%d bytes)", len(payload))
            return
        for sub in list(self._subscribers):
            if sub.may_see(event):
                sub.offer(event)

    async def _run(self) -> None:
        delay = self.reconnect_delay
        first = True
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, prepare_threshold=None
                ) as conn:
                    await conn.execute(f"listen {CHANNEL}; listen {STOP_CHANNEL}")
                    self._listening.set()
                    if not first:
                        self._resync_all()
                    first, delay = False, self.reconnect_delay
                    async for notify in conn.notifies():
                        if notify.channel == STOP_CHANNEL:
                            self.dispatch_stop(notify.payload)
                        else:
                            self.dispatch(notify.payload)
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                log.warning("live events: listener lost (%s); reconnecting in %.1f s",
                            type(exc).__name__, delay)
            first = False
            self._listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_reconnect_delay)

    def _resync_all(self) -> None:
        for sub in list(self._subscribers):
            sub.offer("resync")
