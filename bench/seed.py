"""A database the size of a large cohort's year, made in a minute or two with COPY.

The default shape is the one the capacity figures use: 1,000 participants × 10 conversations ×
100 messages, plus 10 conversations of 10,000 messages for one heavy participant: 1.1 M
messages (``--users 100`` for a quick 200 k). Message texts are drawn so
that searches have known selectivity: :data:`COMMON` is in ~34 % of messages, :data:`RARE` in
~1 %, :data:`ABSENT` in none. Participants are made through the store (encrypted numbers, blind
index), everything else through ``COPY`` in one transaction, then ``VACUUM ANALYZE``.

    .venv/bin/python -m bench.seed --data-dir .bench-data/reads          # embedded server
    .venv/bin/python -m bench.seed --database-url postgresql://...        # any Postgres

Seeding is skipped when the database already holds a seed of the same shape.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COMMON = "mercado"  # in about a third of the messages
RARE = "subvención"  # in about 1 %
ABSENT = "zafiro"  # in none
_FILLER = (
    "cliente", "precio", "equipo", "idea", "plan", "producto", "venta", "socio", "clientes",
    "primeros", "pasos", "validar", "hipótesis", "entrevista", "coste", "canal", "margen",
    "piloto", "prueba", "usuario", "feedback", "ronda", "web", "app", "semana", "meta", "objetivo",
    "lanzamiento", "local", "barrio", "padel", "escuela", "curso", "taller", "datos", "encuesta",
)
PHONE_BASE = 34600000000


@dataclass(frozen=True)
class Shape:
    users: int = 1000
    conversations_per_user: int = 10
    messages_per_conversation: int = 100
    heavy_conversations: int = 10
    heavy_messages: int = 10_000

    @property
    def messages(self) -> int:
        return (self.users * self.conversations_per_user * self.messages_per_conversation
                + self.heavy_conversations * self.heavy_messages)


def text_for(rng: random.Random) -> str:
    words = rng.choices(_FILLER, k=rng.randint(8, 24))
    roll = rng.random()
    if roll < 0.34:
        words.insert(rng.randrange(len(words) + 1), COMMON)
    elif roll < 0.35:
        words.insert(rng.randrange(len(words) + 1), RARE)
    return " ".join(words)


async def _seeded_shape(db: Any) -> dict[str, Any] | None:
    await db.execute("create table if not exists bench_seed (shape jsonb not null)")
    return await db.fetch_value("select shape from bench_seed limit 1")


async def _make_users(store: Any, count: int) -> list[uuid.UUID]:
    ids = []
    for i in range(count):
        user = await store.users.create(f"+{PHONE_BASE + i}", f"Participante {i}")
        ids.append(user.id)
    return ids


async def _copy_history(db: Any, users: list[uuid.UUID], shape: Shape, seed: int) -> None:
    """Conversations and their messages for ``users`` (the first is the heavy one)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plan: list[tuple[uuid.UUID, int]] = [(u, shape.messages_per_conversation)
                                         for u in users for _ in range(shape.conversations_per_user)]
    plan += [(users[0], shape.heavy_messages)] * shape.heavy_conversations
    async with db.connection() as conn, conn.transaction():
        await conn.execute("set local session_replication_role = replica")  # no triggers
        conversations = [(uuid.uuid4(), user, n) for user, n in plan]
        async with conn.cursor().copy(
                "copy conversations (id, user_id, title, channel, created_at, updated_at)"
                " from stdin") as copy:
            for i, (cid, user, n) in enumerate(conversations):
                created = start + timedelta(minutes=i)
                await copy.write_row((cid, user, f"Conversación {i}", "web", created,
                                      created + timedelta(seconds=n * 30)))
        async with conn.cursor().copy(
                "copy messages (id, conversation_id, user_id, content, is_from_user, channel,"
                " created_at) from stdin") as copy:
            for i, (cid, user, n) in enumerate(conversations):
                base = start + timedelta(minutes=i)
                for j in range(n):
                    await copy.write_row((uuid.uuid4(), cid, user, text_for(rng), j % 2 == 0,
                                          "web", base + timedelta(seconds=j * 30)))
        # the triggers that keep each conversation's count are off during the COPY
        await conn.execute(
            "update conversations c set message_count = n.total from (select conversation_id,"
            " count(*)::integer as total from messages group by conversation_id) n"
            " where c.id = n.conversation_id")


async def seed(conninfo: str, shape: Shape, data_dir: Path, *,
               seed_value: int = 16) -> dict[str, Any]:
    """Seed ``conninfo`` (migrated first) unless it already holds this shape; the phone keys
    are the development ones of ``data_dir`` (the servers under test use the same)."""
    from ignacio_agents.db import Database
    from ignacio_agents.migrations import migrate
    from ignacio_agents.runtime import phone_cipher
    from ignacio_agents.settings import load_settings
    from ignacio_agents.store import Store

    await migrate(conninfo)
    db = await Database.open(conninfo, min_size=1, max_size=2)
    try:
        existing = await _seeded_shape(db)
        if existing == asdict(shape):
            return {"seeded": False, "shape": existing}
        if existing is not None:
            raise SystemExit(f"this database holds another seed ({existing}); use a fresh one")
        settings = load_settings(database_url=conninfo, pydantic_ai_model="test",
                                 data_dir=data_dir)
        store = Store(db, phone_cipher(settings))
        started = time.perf_counter()
        users = await _make_users(store, shape.users)
        await _copy_history(db, users, shape, seed_value)
        await db.execute("insert into bench_seed values (%s)", json.dumps(asdict(shape)))
        async with db.connection() as conn:  # what autovacuum does soon after: index-only scans
            await conn.set_autocommit(True)
            await conn.execute("vacuum analyze")
            await conn.set_autocommit(False)
        return {"seeded": True, "shape": asdict(shape), "messages": shape.messages,
                "seconds": round(time.perf_counter() - started, 1)}
    finally:
        await db.close()


def embedded(data_dir: Path) -> tuple[str, Any]:
    """An embedded server in ``data_dir`` (kept between runs: seeding once is enough)."""
    from ignacio_agents.db import embedded_conninfo, hold_embedded_server

    conninfo, server = embedded_conninfo(data_dir.resolve())
    hold_embedded_server(server)
    return conninfo, server


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=ROOT / ".bench-data" / "reads")
    p.add_argument("--database-url", default=None)
    p.add_argument("--users", type=int, default=Shape.users)
    return p


def main() -> None:
    args = _parser().parse_args()
    shape = Shape(users=args.users)
    server = None
    conninfo = args.database_url
    if conninfo is None:
        conninfo, server = embedded(args.data_dir)
    try:
        print(json.dumps(asyncio.run(seed(conninfo, shape, args.data_dir))))
    finally:
        if server is not None:
            from ignacio_agents.db import release_embedded_server

            release_embedded_server(server)


if __name__ == "__main__":
    main()
