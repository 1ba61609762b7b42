"""Liveness plus a real database round trip and the state of the in-process job worker.

503 when the database does not answer within the pool timeout or the worker this process
should run is down (between restarts after a database error), so a load balancer or
orchestrator stops routing to it until both are back.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(runtime: RuntimeDep, request: Request) -> JSONResponse:
    db_ok = await runtime.db.ping()
    supervisor = getattr(request.app.state, "worker", None)
    worker = "off" if supervisor is None else ("up" if supervisor.running else "down")
    ok = db_ok and worker != "down"
    body = {"status": "ok" if ok else "degraded", "database": "up" if db_ok else "down",
            "worker": worker}
    return JSONResponse(body, status_code=200 if ok else 503)
