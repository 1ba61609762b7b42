"""The pool's liveness check: a connection borrowed again moments after it came back skips the
round trip, one that sat idle is checked, and a dead idle one is replaced, not handed out."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from ignacio_agents import db as db_module
from ignacio_agents.db import Database


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the liveness round trips the pool makes (the real check still runs)."""
    seen: list[int] = []
    real = AsyncConnectionPool.check_connection

    async def counted(conn: Any) -> None:
        seen.append(1)
        await real(conn)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", staticmethod(counted))
    return seen


async def _backend_pid(database: Database) -> int:
    async with database.connection() as conn:
        cur = await conn.execute("select pg_backend_pid() as pid")
        row = await cur.fetchone()
        assert row is not None
        return int(row["pid"])


async def test_a_connection_returned_moments_ago_is_not_checked_again(
        conninfo: str, checks: list[int]) -> None:
    database = await Database.open(conninfo, min_size=1, max_size=1)
    try:
        await _backend_pid(database)
        first = len(checks)  # the fresh connection's first borrow is checked
        assert first == 1
        for _ in range(5):
            await _backend_pid(database)
        assert len(checks) == first
    finally:
        await database.close()


async def test_an_idle_connection_is_checked_and_a_dead_one_replaced(
        conninfo: str, checks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "RECENTLY_RETURNED_SECONDS", 0.0)
    database = await Database.open(conninfo, min_size=1, max_size=1)
    try:
        pid = await _backend_pid(database)
        await _backend_pid(database)
        assert len(checks) == 2
        # The server ends the pooled connection while it sits idle (as a restart would).
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as admin:
            await admin.execute("select pg_terminate_backend(%s)", (pid,))
        replacement = await _backend_pid(database)
        assert replacement != pid
    finally:
        await database.close()
