"""Apply ``supabase/migrations/*.sql`` in filename order, recording them in Supabase's ledger.

The ledger is ``supabase_migrations.schema_migrations(version, statements, name)``, the same
table ``supabase db push`` writes, so the CLI and the app never apply a file twice. Each file
runs in its own transaction; an advisory lock keeps two starting processes from racing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{14})_(.+)\.sql$")
_LOCK_ID = 7_441_123_901  # arbitrary, constant: "ignacio migrations"

_LEDGER = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def migrations_dir() -> Path:
    """``supabase/migrations`` in a checkout, else the copy shipped inside the wheel."""
    checkout = Path(__file__).resolve().parents[1] / "supabase" / "migrations"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("ignacio_migrations")))


def load_migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or migrations_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"migration file name must be <14-digit timestamp>_<name>.sql: {path.name}")
        if found and found[-1].version == m.group(1):
            raise ValueError(f"two migrations share version {m.group(1)}: give {path.name}"
                             " a later timestamp")
        found.append(Migration(m.group(1), m.group(2), path.read_text(encoding="utf-8")))
    return found


async def applied_versions(conn: psycopg.AsyncConnection) -> set[str]:
    cur = await conn.execute("select version from supabase_migrations.schema_migrations")
    return {row[0] if isinstance(row, tuple) else row["version"] for row in await cur.fetchall()}


async def migrate(conninfo: str, directory: Path | None = None) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    migrations = load_migrations(directory)
    applied_now: list[str] = []
    async with await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, prepare_threshold=None
    ) as conn:
        await conn.execute("select pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            await conn.execute(_LEDGER)
            done = await applied_versions(conn)
            for mig in migrations:
                if mig.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(mig.sql)
                    await conn.execute(
                        "insert into supabase_migrations.schema_migrations (version, statements, name)"
                        " values (%s, %s, %s)",
                        (mig.version, [mig.sql], mig.name),
                    )
                log.info("applied migration %s_%s", mig.version, mig.name)
                applied_now.append(mig.version)
        finally:
            await conn.execute("select pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now
