"""The conversation engine's own cost per turn: everything except the model's thinking time.

The models are scripted ``FunctionModel``s that answer instantly (route, then a typed answer),
so what is measured is the engine: storing the user message, loading profile and history,
both agent runs (PydanticAI graph, output validation, history trimming with tiktoken), and
storing the answer. Runs against a real embedded PostgreSQL in a throwaway database.

The baseline, measured in the same run and the same database, is one bare
``store.messages.add`` round trip (an insert plus the read-back every store write does). The
floor beside it is what PydanticAI alone costs for the same two runs: a bare ``Agent.run`` with
the triage's output type and one with the specialist's, same instant models, no tools,
capabilities, instructions or storage. What a turn costs above the floor is the engine's own.

    .venv/bin/python bench/engine_overhead.py [--turns 500] [--pgdata DIR]
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from pydantic_ai import Agent, ToolOutput, models
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from api.cli import run_on_fast_loop
from ignacio_agents.agents.routing import ROUTE_TOOL, Route
from ignacio_agents.db import ensure_database, start_embedded_server
from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.responses import MarketingResponse
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import load_settings
from ignacio_agents.store.messages import NewMessage

models.ALLOW_MODEL_REQUESTS = False

ANSWER = {"advice": "Habla con cinco clientes esta semana y pregunta cuánto pagarían. " * 3,
          "action_items": ["Lista de 20 clientes potenciales", "Cinco entrevistas", "Un precio de prueba"],
          "resources": ["Lean Canvas", "The Mom Test"]}


async def triage(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart("route", {
        "specialist": "marketing", "reason": "pricing question", "language": "es"})])


async def specialist(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, ANSWER)])


async def specialist_stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
    args = json.dumps(ANSWER, ensure_ascii=False)
    for i in range(0, len(args), 40):  # a few dozen chunks, like a real stream
        yield {0: DeltaToolCall(name=info.output_tools[0].name if i == 0 else None,
                                json_args=args[i : i + 40], tool_call_id="c1" if i == 0 else None)}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


class Samples:
    """Wall-clock and this process's CPU time per operation (CPU is steadier on a busy box)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    async def measure(self, step: Callable[[int], Awaitable[Any]], i: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        await step(i)
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)


async def run(turns: int, pgdata: Path, data_dir: Path) -> None:
    server = start_embedded_server(pgdata)
    database = f"bench_{uuid.uuid4().hex[:8]}"
    conninfo = ensure_database(server.get_uri(), database)
    settings = load_settings(database_url=conninfo, data_dir=data_dir, ignacio_env="development",
                             pydantic_ai_model="test", openai_api_key=None,
                             run_worker_in_process=False)
    async with open_runtime(settings, conninfo=conninfo) as rt:
        engine = ConversationEngine.from_runtime(
            rt, model=FunctionModel(specialist, stream_function=specialist_stream, model_name="instant"),
            triage_model=FunctionModel(triage, model_name="instant"),
        )
        store = rt.store
        user = await store.users.create(f"+3460{uuid.uuid4().int % 10**7:07d}", "Bench")
        await store.profiles.update(user.id, {"project_name": "Bench", "stage": "idea"}, source="user")
        scratch = await store.conversations.create(user.id)

        def turn_in(conversation_id: Any) -> Callable[[int], Awaitable[Any]]:
            async def step(i: int) -> Any:
                turn = await engine.run_turn(InboundMessage(
                    user_id=user.id, conversation_id=conversation_id, channel="web",
                    text=f"¿Cómo le pongo precio a mi producto? (pregunta {i})"))
                assert not turn.is_fallback, "a fallback turn would measure the wrong path"
            return step

        fresh = [await store.conversations.create(user.id) for _ in range(turns)]

        async def fresh_turn(i: int) -> Any:
            return await turn_in(fresh[i].id)(i)

        async def stream_step(i: int) -> Any:
            events = [e async for e in engine.stream_turn(InboundMessage(
                user_id=user.id, conversation_id=streamed.id, channel="web",
                text=f"¿Y el margen? (pregunta {i})"))]
            assert events[-1].type == "done" and not events[-1].message.is_fallback

        bare_triage = Agent(FunctionModel(triage, model_name="instant"),
                            output_type=ToolOutput(Route, name=ROUTE_TOOL))
        bare_specialist = Agent(FunctionModel(specialist, model_name="instant"),
                                output_type=ToolOutput(MarketingResponse, name="answer"))

        async def floor(i: int) -> Any:
            await bare_triage.run(f"¿Cómo le pongo precio a mi producto? (pregunta {i})")
            await bare_specialist.run(f"¿Cómo le pongo precio a mi producto? (pregunta {i})")

        async def bare_add(i: int) -> Any:
            return await store.messages.add(NewMessage(
                conversation_id=scratch.id, user_id=user.id, is_from_user=True, content=f"ping {i}",
            ))

        # warm up: pool connections, tokenizer, PydanticAI's first-run setup
        for i in range(10):
            await turn_in(scratch.id)(i)
            await bare_add(i)
            await floor(i)

        growing_conversation = await store.conversations.create(user.id)
        streamed = await store.conversations.create(user.id)
        floor_name = "floor: two bare PydanticAI runs, no storage"
        growing_name = f"run_turn, one conversation growing to {turns} turns"
        scenarios: dict[str, tuple[Callable[[int], Awaitable[Any]], Samples]] = {
            "baseline: bare store.messages.add round trip": (bare_add, Samples()),
            floor_name: (floor, Samples()),
            "run_turn, first turn of a new conversation": (fresh_turn, Samples()),
            growing_name: (turn_in(growing_conversation.id), Samples()),
            f"stream_turn, one conversation growing to {turns}": (stream_step, Samples()),
        }
        # Interleaved, so every scenario sees the same background load as its baseline.
        for i in range(turns):
            for step, samples in scenarios.values():
                await samples.measure(step, i)

    baseline = next(iter(scenarios.values()))[1]
    b50, _ = percentiles(baseline.wall)
    c50, _ = percentiles(baseline.cpu)
    print(f"engine overhead per turn ({turns} turns each, instant scripted models, embedded PostgreSQL)")
    f50, _ = percentiles(scenarios[floor_name][1].wall)
    print(f"{'scenario':<50}{'p50 ms':>8}{'p95 ms':>8}{'x base':>8}{'x floor':>8}"
          f"{'cpu p50':>9}{'x base':>8}")
    for name, (_, samples) in scenarios.items():
        p50, p95 = percentiles(samples.wall)
        cpu50, _ = percentiles(samples.cpu)
        print(f"{name:<50}{p50:>8.2f}{p95:>8.2f}{p50 / b50:>7.1f}x{p50 / f50:>7.1f}x"
              f"{cpu50:>9.2f}{cpu50 / c50:>7.1f}x")
    print("(wall = what a user waits beyond model time; cpu = this process only, not PostgreSQL)")
    # Flat with history: the growing conversation's first turns against its last ones, each
    # against the baseline's samples taken at the same moments (same load).
    window = max(1, min(10, turns // 5))
    growing = scenarios[growing_name][1]
    print(f"growing conversation, median of {window} turns, x bare add at the same time:")
    # Turn 50: the history has filled HISTORY_TOKEN_BUDGET (about 25 turns of this script),
    # so from there on every request replays the same amount; turn N shows whether it stays so.
    checkpoints = [("turn 1", slice(0, window))]
    if turns >= 100:
        checkpoints.append(("turn 50", slice(50 - window // 2, 50 + window // 2)))
    checkpoints.append((f"turn {turns}", slice(-window, None)))
    for label, part in checkpoints:
        wall = statistics.median(growing.wall[part]) / statistics.median(baseline.wall[part])
        cpu = statistics.median(growing.cpu[part]) / statistics.median(baseline.cpu[part])
        print(f"  {label:<10} wall {statistics.median(growing.wall[part]) * 1000:7.2f} ms"
              f" (x{wall:.1f})  cpu {statistics.median(growing.cpu[part]) * 1000:7.2f} ms"
              f" (x{cpu:.1f})")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{database}" with (force)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--pgdata", type=Path, default=None,
                        help="an embedded PostgreSQL data dir to reuse (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ignacio-bench-"))
    # Registered before the server starts, so it runs after the server's own atexit stop.
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    # The loop the API (uvicorn) and the worker run their turns on: uvloop when installed.
    run_on_fast_loop(run(args.turns, args.pgdata or work / "pgdata", work / "data"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
