"""``ignacio worker`` runs on uvloop (as uvicorn runs the API): the work a worker does (a turn
through the store's pool and both agents, a document read in the sandbox child, which starts in
a session of its own) runs on it as on asyncio's loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.cli import run_on_fast_loop
from ignacio_agents.documents.extract import extract_async
from ignacio_agents.documents.results import ExtractionStatus
from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import Settings
from tests import filegen


def test_the_worker_loop_is_uvloop() -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_on_fast_loop(loop_module()).startswith("uvloop")


def test_a_turn_and_a_sandboxed_read_run_on_the_worker_loop(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    pdf = filegen.save(tmp_path, "plan.pdf", filegen.make_pdf())

    async def work() -> tuple[Any, Any]:
        async with open_runtime(make_settings()) as rt:
            user = await rt.store.users.create("+34600000123", "Ana")
            conversation = await rt.store.conversations.create(user.id)
            turn = await ConversationEngine.from_runtime(rt).run_turn(InboundMessage(
                user_id=user.id, conversation_id=conversation.id, channel="web",
                text="¿Cómo le pongo precio a mi producto?"))
            stored = await rt.store.messages.page(conversation.id, limit=10)
        return (turn, stored), await extract_async(pdf, "application/pdf")

    (turn, stored), on_uvloop = run_on_fast_loop(work())
    assert not turn.is_fallback and turn.message.content
    assert len(stored.items) == 2  # the question and its answer, both stored
    assert on_uvloop.status == ExtractionStatus.done and on_uvloop.parts
    assert on_uvloop == asyncio.run(extract_async(pdf, "application/pdf"))
