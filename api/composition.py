"""What the app is made of: feature routers and core job blueprints.

Each feature adds itself here with one line, so ``create_app`` stays a short read. Channels
bring their own jobs and services (``channels/installed.py``); their HTTP lives here in
``api/`` like every other route.
"""

from __future__ import annotations

from fastapi import APIRouter
from procrastinate import Blueprint


def all_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    from api.routers import admin, auth, users
    routers += [auth.router, users.router, admin.router]
    from api.routers import totp
    routers.append(totp.router)
    from api.routers import files
    routers.append(files.router)
    from api.routers import conversations
    routers.append(conversations.router)
    from api.routers import memory
    routers.append(memory.router)
    from api.routers import channels
    routers.append(channels.router)
    from api.routers import whatsapp
    routers.append(whatsapp.router)
    from api.routers import cohorts
    routers.append(cohorts.router)
    from api.routers import events
    routers.append(events.router)
    from api.routers import usage
    routers.append(usage.router)
    from api.routers import exports
    routers.append(exports.router)
    from api.routers import attention, mentor
    routers += [mentor.router, attention.router]
    from api.routers import whatsapp_simulator
    routers.append(whatsapp_simulator.router)
    from api.routers import user_import
    routers.append(user_import.router)
    return routers


def all_blueprints() -> list[Blueprint]:
    blueprints: list[Blueprint] = []
    from ignacio_agents.file_jobs import files_jobs
    blueprints.append(files_jobs())
    from ignacio_agents.memory_jobs import memory_jobs
    blueprints.append(memory_jobs())
    from ignacio_agents.embedding_jobs import embeddings_jobs
    blueprints.append(embeddings_jobs())
    from ignacio_agents.retention import retention_jobs
    blueprints.append(retention_jobs())
    from ignacio_agents.mentoring_jobs import mentoring_jobs
    blueprints.append(mentoring_jobs())
    return blueprints
