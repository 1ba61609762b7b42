"""Plain messages of concurrent deliveries stored by one statement: a group commit.

Each statement that stores messages commits, and a commit that announces something (the
``message.created`` live event, procrastinate's wake-up for the answer job: both
``pg_notify``) takes PostgreSQL's one notify lock and holds it until its commit record is on
disk; the bump of a conversation's ``updated_at`` and ``message_count`` holds its row just as
long. So eight participants writing at once, or one participant's eight quick messages, wait
for each other's fsync one at a time, and the acknowledgement's tail grows with the senders.

Instead, while one statement is in flight, the deliveries that arrive meanwhile queue here and
the next statement stores all of them (``MessageStore.add_many``: messages, bumps, events and
jobs, both or neither per message): one commit, one round trip, each delivery acknowledged
only once that commit is durable. A delivery alone waits for nothing. A combined statement the
database refuses (a value in one delivery) is redone delivery by delivery, so only the
delivery that holds the value sees the error; a database that is unreachable fails them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg

from ignacio_agents.store.messages import MessageStore, NewMessage

log = logging.getLogger(__name__)

# Rows per combined statement (a delivery larger than this is still written whole, alone).
MAX_ROWS = 250


@dataclass
class _Write:
    news: list[NewMessage]
    jobs: list[tuple[Any, ...] | None]
    done: asyncio.Future[list[UUID | None]] = field(repr=False)

    def settle(self, ids: list[UUID | None] | None = None,
               error: BaseException | None = None) -> None:
        if self.done.done():  # its request was cancelled: the rows are stored all the same
            return
        if error is not None:
            self.done.set_exception(error)
        else:
            self.done.set_result(ids or [])


class GroupedWrites:
    """One per process (on the WhatsApp channel): a queue of pending writes and the one task
    that drains it, a statement at a time."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._queue: list[_Write] = []
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def add_many(self, messages: MessageStore, news: Sequence[NewMessage],
                       jobs: Sequence[tuple[Any, ...] | None]) -> list[UUID | None]:
        """``messages.add_many(news, jobs=jobs)``, possibly in one statement with other
        deliveries' writes; returns this call's ids (None for a replayed message)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing pending survives one
            self._loop, self._queue, self._drainer = loop, [], None
        write = _Write(list(news), list(jobs), loop.create_future())
        self._queue.append(write)
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain(messages))
        return await write.done

    def _next_batch(self) -> list[_Write]:
        batch = [self._queue.pop(0)]
        rows = len(batch[0].news)
        while self._queue and rows + len(self._queue[0].news) <= self.max_rows:
            rows += len(self._queue[0].news)
            batch.append(self._queue.pop(0))
        return batch

    async def _drain(self, messages: MessageStore) -> None:
        while self._queue:
            batch = self._next_batch()
            try:
                await self._write(messages, batch)
            except Exception as exc:  # a bug here (what the database refuses is handled)
                for write in batch:
                    write.settle(error=exc)
            except BaseException:  # cancelled (the process stops): no caller waits forever
                for write in [*batch, *self._queue]:
                    write.settle(error=RuntimeError("the write was interrupted"))
                self._queue = []
                raise

    async def _write(self, messages: MessageStore, batch: list[_Write]) -> None:
        if len(batch) > 1:
            try:
                ids = await messages.add_many([n for w in batch for n in w.news],
                                              jobs=[j for w in batch for j in w.jobs])
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                for write in batch:  # the database, not a message: every delivery fails
                    write.settle(error=exc)
                return
            except Exception as exc:
                log.warning("%d deliveries refused together (%s); storing them one by one",
                            len(batch), type(exc).__name__)
            else:
                start = 0
                for write in batch:
                    write.settle(ids[start:start + len(write.news)])
                    start += len(write.news)
                return
        for write in batch:
            try:
                ids = await messages.add_many(write.news, jobs=write.jobs)
            except Exception as exc:
                write.settle(error=exc)
            else:
                write.settle(ids)
