"""Input tokens per turn of a long conversation, and the summary's cost per folded turn.

A conversation of ``--turns`` turns (default 500: a sentence or two from the participant, about
250 words back, a history search every other turn) runs through the real engine and store, the
real PydanticAI OpenAI client and the strict fake OpenAI server, which counts every request
with the model's own tokenizer and rejects any over the window. Three models:

- ``gpt-4`` (8,192 tokens, cl100k_base), the original spec's default;
- ``gpt-4o-mini`` (128,000 tokens), a current model;
- ``llama3.1`` served by Ollama with its default 4,096-token context.

After every 10 turns the conversation is folded into its running summary by the summarizer
(the same model, through the same fake server), as the background job does in production.
Reported: input tokens per turn (all requests of the turn, router included) at turns 10, 100
and 500, the largest request against the window, rejected requests, fallbacks, and the
summarizer's input + output tokens per folded turn.

    .venv/bin/python bench/context_window.py [--turns 500] [--models gpt-4,gpt-4o-mini,llama3.1]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic_ai import models

from ignacio_agents.agents.summarizer import NOTES_TOOL
from ignacio_agents.db import ensure_database, start_embedded_server
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.memory_jobs import run_fold
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import load_settings
from tests.fakes.openai_server import MODELS, FakeOpenAIServer, tool_call
from tests.long_conversation import ConversationRun, advisor, engine_settings, run_conversation

MODEL_SETTINGS: dict[str, dict[str, Any]] = {
    "gpt-4": {},
    "gpt-4o-mini": {},
    "llama3.1": {"openai_compatible": "ollama"},
}
FOLD_EVERY = 10
MARKS = (10, 100, 500)


def reply(body: dict[str, Any]) -> dict[str, Any]:
    """The advisor's replies, plus the summarizer's: two short notes per batch."""
    if NOTES_TOOL in [t["function"]["name"] for t in body.get("tools", [])]:
        return {"tool_calls": [tool_call(NOTES_TOOL, {"add": [
            {"kind": "fact", "text": "Tienen 3 pilotos de pago en Valencia."},
            {"kind": "open_question", "text": "Cómo fijar el precio del plan anual."}]})]}
    return advisor(body)


async def one_model(name: str, turns: int, conninfo: str, data_dir: Path) -> dict[str, Any]:
    base = load_settings(database_url=conninfo, data_dir=data_dir, ignacio_env="development",
                         pydantic_ai_model="test", openai_api_key=None, run_worker_in_process=False)
    with FakeOpenAIServer(reply, fixed_usage=False) as server:
        settings = engine_settings(base, server, f"openai-chat:{name}", **MODEL_SETTINGS[name])
        async with open_runtime(settings, conninfo=conninfo) as rt:
            engine = ConversationEngine.from_runtime(rt)
            user = await rt.store.users.create(f"+3460{uuid.uuid4().int % 10**7:07d}", "Lucía")
            conversation = await rt.store.conversations.create(user.id)
            run = ConversationRun()
            folded = fold_tokens = 0
            for start in range(0, turns, FOLD_EVERY):
                chunk = await run_conversation(engine, server, user.id, conversation.id,
                                               min(FOLD_EVERY, turns - start), first=start + 1)
                run.turns += chunk.turns
                report = await run_fold(rt, conversation.id)
                folded += report.turns
                fold_tokens += report.input_tokens + report.output_tokens
    window = MODELS[name].context_window
    by_turn = {t.turn: t for t in run.turns}
    return {
        "model": name, "window": window, "turns": len(run.turns), "fallbacks": run.fallbacks,
        "rejected_requests": len(server.rejected),
        "largest_request": max(t.largest_request for t in run.turns),
        "input_tokens_per_turn": {m: by_turn[m].input_tokens for m in MARKS if m in by_turn},
        "summary_tokens_per_folded_turn": round(fold_tokens / folded, 1) if folded else None,
        "folded_turns": folded,
    }


async def run(turns: int, names: list[str], work: Path) -> list[dict[str, Any]]:
    models.ALLOW_MODEL_REQUESTS = True  # to the loopback fake only
    server = start_embedded_server(work / "pgdata")
    results = []
    for name in names:
        conninfo = ensure_database(server.get_uri(), f"bench_{uuid.uuid4().hex[:8]}")
        results.append(await one_model(name, turns, conninfo, work / name))
        print(json.dumps(results[-1]), flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--models", default="gpt-4,gpt-4o-mini,llama3.1")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ignacio-bench-ctx-"))
    # Registered before the server starts, so it runs after the server's own atexit stop.
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    results = asyncio.run(run(args.turns, args.models.split(","), work))
    return 0 if all(r["fallbacks"] == 0 and r["rejected_requests"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
