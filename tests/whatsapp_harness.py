"""Shared pieces of the WhatsApp end-to-end tests: the real app wired to a fake Graph server,
signed webhook posting, and waits on the job queue and the database."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.graph import FakeGraphServer, signed_webhook

APP_SECRET = "e2e-app-secret"
VERIFY_TOKEN = "e2e-verify-token"
WA_USER = "34612000001"  # a Spanish mobile: wa_id digits == E.164 without "+"
WA_USER_2 = "34612000002"
WEBHOOK = "/webhooks/whatsapp"


def whatsapp_settings(graph: FakeGraphServer, **overrides: Any) -> dict[str, Any]:
    """WhatsApp channel settings for an app talking to ``graph`` with a known secret."""
    return {
        **graph.settings_overrides(),
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        # Durable-send back-off in tens of milliseconds: a retried job runs again at once.
        "send_retry_base_seconds": 0.02,
        "send_retry_max_seconds": 0.2,
        # No quiet period unless a test is about bursts (queued messages still go together).
        "quiet_period_seconds": 0,
        # No pause between messages to one participant unless a test is about pacing.
        "part_gap_seconds": 0,
        **overrides,
    }


# Core settings for the WhatsApp end-to-end apps: a worker in the process, polling often.
WORKER = {"run_worker_in_process": True, "job_poll_interval_seconds": 0.1}


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


_WORDS = ("text", "interactive")  # an answer's last part carries its follow-ups as options


def sent_texts(graph: FakeGraphServer, to: str | None = None) -> list[dict[str, Any]]:
    """Accepted answer parts, in order: texts, and interactive parts (buttons or a list under
    their text), each with its words at ``["text"]["body"]``."""
    out = []
    for m in graph.sent_messages(to):
        if m.get("type") == "interactive":
            m = {**m, "text": {"body": m["interactive"]["body"]["text"]}}
        if m.get("type") in _WORDS:
            out.append(m)
    return out


def text_attempts(graph: FakeGraphServer) -> list[Any]:
    """Every answer-part send that reached the fake, accepted or not (read receipts and
    templates excluded)."""
    return [r for r in graph.requests if r.method == "POST" and r.path.endswith("/messages")
            and isinstance(r.json, dict) and r.json.get("type") in _WORDS]


# --- scripted models (the engine's injection point) ---------------------------------------------


def last_user_text(messages: list[Any]) -> str:
    from pydantic_ai.messages import ModelRequest, UserPromptPart

    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart):
                    content = part.content
                    return content if isinstance(content, str) else str(content[0])
    return ""


@dataclass
class TurnLog:
    """When each specialist call ran, by the user text it answered (monotonic seconds)."""

    calls: list[tuple[str, float, float]] = field(default_factory=list)

    def span(self, text: str) -> tuple[float, float]:
        [(start, end)] = [(s, e) for t, s, e in self.calls if t == text]
        return start, end


def advisor_model(answer: Callable[[str], str], *, delay: float = 0.0,
                  log: TurnLog | None = None) -> Any:
    """A FunctionModel for both agents: routes everything to ``general`` and answers
    ``answer(user_text)``, after ``delay`` seconds (recorded in ``log``)."""
    from pydantic_ai.messages import ModelResponse, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from ignacio_agents.agents.routing import ROUTE_TOOL

    async def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        if tool == ROUTE_TOOL:
            return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
                "specialist": "general", "reason": "scripted", "language": "es"})])
        text = last_user_text(messages)
        start = time.monotonic()
        await asyncio.sleep(delay)
        if log is not None:
            log.calls.append((text, start, time.monotonic()))
        return ModelResponse(parts=[ToolCallPart(tool, {"message": answer(text),
                                                        "follow_up_questions": []})])

    return FunctionModel(respond, model_name="whatsapp-e2e")


def use_model(app: Any, model: Any) -> None:
    """Swap the app's engine for one answering with ``model`` (the worker reads it per job)."""
    from ignacio_agents.engine import ConversationEngine

    app.runtime.engine = ConversationEngine.from_runtime(app.runtime, model=model,
                                                         triage_model=model)


# --- a model server that never answers (to hold a job mid-turn) -------------------------------


class StallingServer:
    """Accepts HTTP connections on loopback, reads the request, never answers."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.requested = threading.Event()
        self._held: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)
            try:
                if conn.recv(65536):
                    self.requested.set()
            except OSError:
                pass

    def close(self) -> None:
        self._closed = True
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()
        self._sock.close()

