"""The running services of one process, opened together and closed together.

``open_runtime`` is used by the API lifespan, the ``ignacio worker`` command and tests: it
resolves the database (``DATABASE_URL`` or the embedded server), applies migrations, opens the
pool, the blob store, the job app (with every channel's jobs) and the channels' own services. The
job app runs on the same pool: one pool per process.
Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import Blueprint

from ignacio_agents.blobs import BlobStore, open_blob_store
from ignacio_agents.channel import Channel, ChannelRegistry
from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import (
    Database,
    embedded_conninfo,
    hold_embedded_server,
    release_embedded_server,
)
from ignacio_agents.embeddings import Embeddings, open_embeddings
from ignacio_agents.jobs import build_job_app
from ignacio_agents.migrations import migrate
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store

if TYPE_CHECKING:
    from ignacio_agents.engine import ConversationEngine

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    conninfo: str
    db: Database
    store: Store
    blobs: BlobStore
    jobs: procrastinate.App
    engine: ConversationEngine = field(init=False)  # made from the runtime itself, right after
    embeddings: Embeddings | None = None  # set when EMBEDDINGS_MODEL is configured
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    services: dict[str, Any] = field(default_factory=dict)  # other shared services (summarizer)


def resolve_conninfo(settings: Settings) -> tuple[str, Any]:
    """The database to use, starting the embedded server when no URL is configured."""
    if settings.database_url:
        return settings.database_url, None
    return embedded_conninfo(settings.data_dir, settings.embedded_postgres_version)


def phone_cipher(settings: Settings) -> PhoneCipher:
    return PhoneCipher.from_settings(
        settings.secret("phone_encryption_key"),
        settings.secret("phone_index_key"),
        settings.phone_encryption_old_keys.get_secret_value()
        if settings.phone_encryption_old_keys else None,
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, blueprints: Iterable[Blueprint] = (), apply_migrations: bool = True,
    conninfo: str | None = None, channels: Iterable[Channel] = (),
) -> AsyncIterator[Runtime]:
    server = None
    if conninfo is None:
        conninfo, server = resolve_conninfo(settings)
        if server is not None:
            hold_embedded_server(server)
    try:
        async with _open_services(settings, conninfo, blueprints, apply_migrations,
                                  ChannelRegistry(channels)) as runtime:
            yield runtime
    finally:
        if server is not None:  # pg_ctl stop blocks for a moment: keep the loop free
            await asyncio.to_thread(release_embedded_server, server)


@asynccontextmanager
async def _open_services(
    settings: Settings, conninfo: str, blueprints: Iterable[Blueprint], apply_migrations: bool,
    registry: ChannelRegistry,
) -> AsyncIterator[Runtime]:
    if apply_migrations:
        applied = await migrate(conninfo)
        if applied:
            log.info("applied %d migration(s)", len(applied))
    db = await Database.open(
        conninfo, min_size=settings.db_pool_min_size, max_size=settings.db_pool_max_size,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    blobs = open_blob_store(settings)
    jobs = build_job_app([*blueprints, *registry.blueprints()])
    embeddings = open_embeddings(settings)
    try:
        async with jobs.open_async(pool=db.pool):
            runtime = Runtime(
                settings=settings, conninfo=conninfo, db=db,
                store=Store(db, phone_cipher(settings)), blobs=blobs, jobs=jobs,
                embeddings=embeddings,
                channels=registry,
            )
            from ignacio_agents.engine import ConversationEngine

            runtime.engine = ConversationEngine.from_runtime(runtime)
            if apply_migrations and (sealed := await runtime.store.messages.seal_clear_external_ids()):
                log.info("sealed %d channel message id(s) stored in clear", sealed)
            try:
                await registry.start(runtime)
                yield runtime
            finally:
                await registry.aclose()
                await runtime.engine.aclose()
                for service in runtime.services.values():  # the summarizer's model client
                    if (aclose := getattr(service, "aclose", None)) is not None:
                        await aclose()
    finally:
        if embeddings is not None:
            await embeddings.aclose()
        await blobs.close()
        await db.close()
