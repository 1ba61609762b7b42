"""Counting what a piece of code asks PostgreSQL: every statement sent through psycopg (a
pipeline's too), every explicit transaction opened, and the round trips (a statement outside a
pipeline is one; a whole pipeline is one). Round trips are what the WhatsApp paths are sized
by, so tests hold them to a count that fails if a redundant read comes back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest


@dataclass
class Statements:
    """What was sent while :meth:`counting` was on: the statements' SQL, and one entry per
    explicit transaction. ``paused`` leaves out what a block sends (another component's own
    statements, counted by its own tests)."""

    monkeypatch: pytest.MonkeyPatch
    sql: list[str] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    round_trips: int = 0
    _on: bool = False

    @contextlib.contextmanager
    def counting(self) -> Iterator[Statements]:
        execute, transaction = psycopg.AsyncCursor.execute, psycopg.AsyncConnection.transaction
        pipeline = psycopg.AsyncConnection.pipeline
        counter = self

        async def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            # the pool's liveness check sends an empty query: not a statement of the code's
            if counter._on and str(query).strip():
                counter.sql.append(str(query))
                if cursor.connection._pipeline is None:
                    counter.round_trips += 1
            return await execute(cursor, query, *args, **kwargs)

        def counted_pipeline(conn: Any) -> Any:
            if counter._on and conn._pipeline is None:  # a nested pipeline is the same trip
                counter.round_trips += 1
            return pipeline(conn)

        def counted_transaction(conn: Any, *args: Any, **kwargs: Any) -> Any:
            if counter._on:
                counter.transactions.append("begin")
            return transaction(conn, *args, **kwargs)

        with self.monkeypatch.context() as patch:
            patch.setattr(psycopg.AsyncCursor, "execute", counted_execute)
            patch.setattr(psycopg.AsyncConnection, "transaction", counted_transaction)
            patch.setattr(psycopg.AsyncConnection, "pipeline", counted_pipeline)
            self._on = True
            try:
                yield self
            finally:
                self._on = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        was, self._on = self._on, False
        try:
            yield
        finally:
            self._on = was
