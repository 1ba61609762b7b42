"""A conversation never outgrows the model: every request fits the window, counted by a strict
fake OpenAI server with the model's own tokenizer, and no turn falls back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai import models

from ignacio_agents.engine import ConversationEngine
from tests.fakes.openai_server import MODELS, FakeOpenAIServer
from tests.long_conversation import advisor, engine_settings, run_conversation


@pytest.fixture
def allow_model_requests() -> Any:
    with models.override_allow_model_requests(True):
        yield


@pytest.mark.parametrize(("model", "served", "turns", "extra"), [
    ("openai-chat:gpt-4", "gpt-4", 16, {}),
    ("openai-chat:llama3.1", "llama3.1", 12, {"openai_compatible": "ollama"}),
])
async def test_a_long_conversation_fits_the_window(client: Any, make_user: Any, allow_model_requests: Any,
                                                   model: str, served: str, turns: int,
                                                   extra: dict[str, Any]) -> None:
    rt = client.runtime
    user = await make_user("Lucía")
    conversation = await rt.store.conversations.create(user.id)
    with FakeOpenAIServer(advisor, fixed_usage=False) as server:
        engine = ConversationEngine(rt.store, rt.blobs, engine_settings(rt.settings, server, model, **extra))
        run = await run_conversation(engine, server, user.id, conversation.id, turns)
        await engine.aclose()
    window = MODELS[served].context_window
    assert engine.context_window == window
    assert [r.error.message for r in server.rejected] == []
    assert run.fallbacks == 0
    assert max(t.largest_request for t in run.turns) <= window
    # the history did fill the window: a late turn's largest request uses most of it, far more
    # than the first turn's (instructions and tools alone)
    last, first = run.turns[-1], run.turns[0]
    assert last.largest_request > 0.85 * window
    assert last.largest_request - first.largest_request > 0.08 * window
