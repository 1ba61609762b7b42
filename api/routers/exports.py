"""Data exports: a participant downloads everything about them as a ZIP from their profile;
admins can download any participant's. Each export writes a ``user.export`` audit row (actor,
whose data, how many messages and files) before the bytes go out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.deps import AdminUser, CurrentUser, RuntimeDep, client_ip
from ignacio_agents.data_export import build_export
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.users import StoredUser

router = APIRouter(tags=["exports"])

CHUNK = 256 * 1024
_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "The export as a ZIP"}}


async def _stream(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk
    finally:
        file.close()


async def _export(runtime: Runtime, actor: StoredUser, user_id: UUID,
                  request: Request) -> StreamingResponse:
    archive = await build_export(runtime.store, runtime.blobs, user_id)
    await runtime.store.audit.record(
        actor_id=actor.id, action="user.export", target_type="user", target_id=user_id,
        client_ip=client_ip(request), details={"own": actor.id == user_id},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return StreamingResponse(_stream(archive), media_type="application/zip", headers={
        "content-disposition": f'attachment; filename="ignacio-export-{stamp}.zip"',
        "cache-control": "private, no-store",
    })


@router.get("/users/me/export", response_class=StreamingResponse, responses=_ZIP,
            operation_id="export_me")
async def export_me(user: CurrentUser, runtime: RuntimeDep, request: Request) -> StreamingResponse:
    """Everything Ignacio holds about you: JSON, a Markdown transcript and your files."""
    return await _export(runtime, user, user.id, request)


@router.get("/admin/users/{user_id}/export", response_class=StreamingResponse, responses=_ZIP,
            operation_id="admin_export_user")
async def export_user(user_id: UUID, admin: AdminUser, runtime: RuntimeDep,
                      request: Request) -> StreamingResponse:
    """The same export for any participant (audited)."""
    return await _export(runtime, admin, user_id, request)
