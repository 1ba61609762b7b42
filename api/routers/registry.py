"""What the app is made of: feature routers, job blueprints and channel services.

Each feature adds itself here with one line, so ``create_app`` stays a short read.
"""

from __future__ import annotations

from fastapi import APIRouter
from procrastinate import Blueprint

from ignacio_agents.runtime import Runtime


def all_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    from api.routers import admin, auth, users
    routers += [auth.router, users.router, admin.router]
    from api.routers import files
    routers.append(files.router)
    from api.routers import conversations
    routers.append(conversations.router)
    from api.routers import memory
    routers.append(memory.router)
    from channels.whatsapp import webhook as whatsapp_webhook
    routers.append(whatsapp_webhook.router)
    return routers


def all_blueprints() -> list[Blueprint]:
    blueprints: list[Blueprint] = []
    from ignacio_agents.file_jobs import files_jobs
    blueprints.append(files_jobs())
    from ignacio_agents.memory_jobs import memory_jobs
    blueprints.append(memory_jobs())
    from ignacio_agents.embedding_jobs import embeddings_jobs
    blueprints.append(embeddings_jobs())
    from channels.whatsapp import jobs as whatsapp_jobs
    blueprints.append(whatsapp_jobs.blueprint())
    return blueprints


async def start_services(runtime: Runtime) -> None:
    """Open channel-level services (e.g. the WhatsApp Graph client) into ``runtime.services``."""
    from channels.whatsapp.client import WhatsAppClient

    if runtime.settings.whatsapp_configured:
        runtime.services["whatsapp"] = WhatsAppClient.from_settings(runtime.settings)


async def stop_services(runtime: Runtime) -> None:
    for service in runtime.services.values():
        close = getattr(service, "aclose", None) or getattr(service, "close", None)
        if close is not None:
            await close()
