"""The eval database and the participants the answer suites talk as.

Specialists read the participant's history, files and profile through our store, so the suites
run against real PostgreSQL: the embedded server (started in its own data directory, as the
tests do), a throwaway database migrated for this run and dropped at the end. Nothing of the
app's own database is touched. Each case gets a fresh participant, so one case's profile update
cannot leak into another.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart

from evals.cases import Turn
from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database, conninfo_for_database, start_embedded_server
from ignacio_agents.domain import MessageType
from ignacio_agents.memory import to_storable
from ignacio_agents.migrations import migrate
from ignacio_agents.store import Store
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.store.messages import NewMessage
from ignacio_agents.store.users import StoredUser

PROFILE = {
    "project_name": "Huerta Viva",
    "kind": "startup",
    "stage": "prototype",
    "description": "Weekly boxes of organic vegetables from small farms around Zaragoza, "
                   "delivered at home on a subscription.",
    "goals": "Reach 200 subscribers before June",
}

# (file name, content type, part label, [(part, location, text)])
FILES: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("plan_de_negocio.pdf", "application/pdf", "page", [
        ("page:1", "page 1", "Huerta Viva. Resumen ejecutivo. Cajas semanales de verdura ecológica "
                             "de pequeños productores de Zaragoza, con entrega a domicilio."),
        ("page:4", "page 4", "Precio y modelo de ingresos. La suscripción semanal cuesta 29 € por "
                             "caja estándar. El coste de producto y reparto es de 18 € por caja, lo "
                             "que deja un margen bruto del 38 %."),
        ("page:6", "page 6", "Competencia. Los supermercados venden verdura ecológica envasada; "
                             "nuestro valor es la frescura y la relación directa con el productor."),
    ]),
    ("pitch_deck.pptx",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation", "slide", [
        ("slide:1", "slide 1", "Huerta Viva: fresh organic vegetables from local farms, every week."),
        ("slide:3", "slide 3", "Market size: 1.2 million households in Aragón; 85,000 households "
                               "already buy organic produce every month (our serviceable market)."),
        ("slide:5", "slide 5", "Business model: weekly subscription, 29 euros per box, "
                               "38% gross margin, delivery on Thursdays."),
    ]),
    ("presupuesto_2027.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheet", [
        ("sheet:Presupuesto", "Presupuesto!A1:B6", "Concepto | Importe\nFurgoneta eléctrica | "
         "18.000 €\nMarketing | 6.000 €\nCámara frigorífica | 4.500 €\nWeb y app | 3.000 €"),
    ]),
]

# Earlier conversations: (title, days ago, [(is_from_user, text, agent)])
HISTORY: list[tuple[str, int, list[tuple[bool, str, str | None]]]] = [
    ("Pricing the family box", 9, [
        (True, "What pricing strategy should we use for the new family box?", None),
        (False, "I suggest tiered pricing: keep the basic box at 24 euros and launch the family "
                "box at 35 euros, with a 10% discount for customers who pay three months ahead.",
         "marketing"),
    ]),
    ("Subvención del ayuntamiento", 4, [
        (True, "¿Nos presentamos a la subvención del ayuntamiento para emprendedores?", None),
        # search_history returns a ~15-word headline around the match: keep the fact near it.
        (False, "Sí: la subvención del ayuntamiento se presenta hasta el 15 de marzo y cubre hasta "
                "12.000 € para empresas de menos de dos años.", "financial"),
    ]),
]

_phones = itertools.count(1)


def eval_cipher() -> PhoneCipher:
    """Throwaway keys: the eval database is dropped after the run."""
    return PhoneCipher.from_settings(base64.b64encode(os.urandom(32)).decode(),
                                     base64.b64encode(os.urandom(32)).decode())


@asynccontextmanager
async def eval_store(pgdata: Path) -> AsyncIterator[Store]:
    """A migrated, empty database on the embedded server in ``pgdata``; dropped afterwards."""
    server = await asyncio.to_thread(start_embedded_server, pgdata)
    server_uri = server.get_uri()
    name = f"evals_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(server_uri, autocommit=True) as conn:
        await conn.execute(f'create database "{name}"')
    try:
        conninfo = conninfo_for_database(server_uri, name)
        await migrate(conninfo)
        db = await Database.open(conninfo, min_size=1, max_size=8)
        try:
            yield Store(db, eval_cipher())
        finally:
            await db.close()
    finally:
        async with await psycopg.AsyncConnection.connect(server_uri, autocommit=True) as conn:
            await conn.execute(f'drop database if exists "{name}" with (force)')


@dataclass
class Participant:
    user: StoredUser
    conversation_id: UUID


async def new_participant(store: Store, *, with_project: bool, channel: str = "web",
                          history: list[Turn] | None = None) -> Participant:
    """A participant with a conversation holding ``history``; ``with_project`` adds the
    Huerta Viva profile, files and earlier conversations the tool-use suite asks about."""
    phone = f"+3460{next(_phones):07d}"
    user = await store.users.create(phone, "Lucía Gómez", preferred_language="es")
    if with_project:
        await store.profiles.update(user.id, PROFILE, source="user")
        await _add_files(store, user.id)
        await _add_history(store, user.id)
    conversation = await store.conversations.create(user.id, channel)
    await add_turns(store, user.id, conversation.id, history or [], channel)
    return Participant(user=user, conversation_id=conversation.id)


async def add_turns(store: Store, user_id: UUID, conversation_id: UUID, turns: list[Turn],
                    channel: str = "web", *, at: datetime | None = None) -> None:
    """Store turns as the engine would have: each user message, then the assistant message
    carrying the PydanticAI messages of that exchange (which later turns replay)."""
    start = at or datetime.now(UTC) - timedelta(minutes=10)
    pending_user: str | None = None
    for index, turn in enumerate(turns):
        when = start + timedelta(seconds=index)
        if turn.role == "user":
            await store.messages.add(NewMessage(
                conversation_id=conversation_id, user_id=user_id, is_from_user=True, content=turn.text,
                channel=channel, created_at=when,
            ))
            pending_user = turn.text
            continue
        exchange = [ModelResponse(parts=[TextPart(turn.text)])]
        if pending_user is not None:
            exchange.insert(0, ModelRequest(parts=[UserPromptPart(pending_user)]))
        await store.messages.add(NewMessage(
            conversation_id=conversation_id, user_id=user_id, is_from_user=False, content=turn.text,
            channel=channel, agent=turn.specialist.value if turn.specialist else None,
            model_messages=to_storable(exchange), created_at=when,
        ))
        pending_user = None


async def _add_files(store: Store, user_id: UUID) -> None:
    for name, content_type, label, parts in FILES:
        file_id = uuid.uuid4()
        size = sum(len(text.encode()) for _, _, text in parts)
        await store.files.create(
            file_id=file_id, user_id=user_id, file_name=name,
            file_path=f"users/{user_id}/files/{file_id}/{name}", file_type=content_type,
            file_size=size, kind=MessageType.document, extraction_status="done",
        )
        await store.files.replace_chunks(file_id, user_id, [
            ChunkIn(ordinal=i, part=part, location=location, content=text)
            for i, (part, location, text) in enumerate(parts)
        ])
        await store.files.set_extraction(file_id, "done", part_count=len(parts), part_label=label)


async def _add_history(store: Store, user_id: UUID) -> None:
    for title, days_ago, messages in HISTORY:
        conversation = await store.conversations.create(user_id, "web", title=title)
        turns = [Turn(role="user" if from_user else "assistant", text=text,
                      specialist=agent) for from_user, text, agent in messages]  # type: ignore[arg-type]
        await add_turns(store, user_id, conversation.id, turns,
                        at=datetime.now(UTC) - timedelta(days=days_ago))
