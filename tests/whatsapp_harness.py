"""Shared pieces of the WhatsApp end-to-end tests: the real app wired to a fake Graph server,
signed webhook posting, and waits on the job queue and the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.graph import FakeGraphServer, signed_webhook

APP_SECRET = "e2e-app-secret"
VERIFY_TOKEN = "e2e-verify-token"
WA_USER = "34612000001"  # a Spanish mobile: wa_id digits == E.164 without "+"
WA_USER_2 = "34612000002"
WEBHOOK = "/webhooks/whatsapp"


def whatsapp_settings(graph: FakeGraphServer, **overrides: Any) -> dict[str, Any]:
    """Settings overrides for an app talking to ``graph`` with a known secret and a worker."""
    return {
        **graph.settings_overrides(),
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "run_worker_in_process": True,
        "job_poll_interval_seconds": 0.1,
        **overrides,
    }


async def post_webhook(client: Any, payload: dict[str, Any], secret: str = APP_SECRET) -> Any:
    body, headers = signed_webhook(payload, secret)
    return await client.post(WEBHOOK, content=body, headers=headers)


async def fetch_all(client: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with client.runtime.db.connection() as conn:
        cur = await conn.execute(sql, params)
        return list(await cur.fetchall())


async def scalar(client: Any, sql: str, *params: Any) -> Any:
    rows = await fetch_all(client, sql, *params)
    return next(iter(rows[0].values())) if rows else None


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0,
                     interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        await asyncio.sleep(interval)


async def wait_for_idle_queue(client: Any, timeout: float = 10.0) -> None:
    """Until no WhatsApp job is waiting or running."""
    async def idle() -> bool:
        pending = await scalar(
            client, "select count(*) from procrastinate_jobs where task_name like 'whatsapp:%%'"
            " and status in ('todo', 'doing')")
        return pending == 0

    await wait_until(idle, timeout, what="idle WhatsApp queue")


def sent_texts(graph: FakeGraphServer, to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in graph.sent_messages(to) if m.get("type") == "text"]


def text_attempts(graph: FakeGraphServer) -> list[Any]:
    """Every text send that reached the fake, accepted or not (read receipts excluded)."""
    return [r for r in graph.requests if r.method == "POST" and r.path.endswith("/messages")
            and isinstance(r.json, dict) and r.json.get("type") == "text"]
