"""What the running summary costs: the summarizer's tokens in and out per folded turn.

A conversation of realistic turns (a participant's question or statement, an answer of about
250 words) is stored in a real embedded PostgreSQL and folded exactly as the background job
folds it (``folding.fold_conversation`` with the model summarizer), in the batches the job
uses. The summarizer model is scripted: it answers with the deterministic extract of the same
turns (a realistic amount of notes), and every request it receives is counted with tiktoken
(``o200k_base``; instructions, the notes tool's schema, the prompt with notes and turns), which
is what a provider would bill as input; its answer's arguments are the output.

The baseline, measured in the same run, is what the same turns cost when replayed verbatim in
a request (the stored PydanticAI messages' ``history_tokens``): folding pays once per turn what
replaying costs on every later turn.

    .venv/bin/python bench/summary_cost.py [--turns 200] [--fold-every 4] [--pgdata DIR]
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

import psycopg
from pydantic_ai import models
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from ignacio_agents.agents.summarizer import NOTES_TOOL
from ignacio_agents.db import ensure_database, start_embedded_server
from ignacio_agents.folding import ModelSummarizer, fold_conversation
from ignacio_agents.memory import prepare_for_storage
from ignacio_agents.runtime import open_runtime
from ignacio_agents.settings import load_settings
from ignacio_agents.store.messages import NewMessage
from ignacio_agents.summaries import extract_notes
from ignacio_agents.tokens import count_tokens

models.ALLOW_MODEL_REQUESTS = False

SAID = [
    "Tenemos 3 pilotos de pago en Valencia con escuelas de música.",
    "¿Cómo calculo el coste de adquisición de un cliente?",
    "Hemos decidido cobrar 12 euros al mes por escuela.",
    "¿Qué canal me recomiendas para llegar a más escuelas?",
    "Voy a preparar la propuesta para el ayuntamiento el viernes.",
    "¿Cómo presento el proyecto en dos minutos?",
    "Todavía no sabemos si constituir una cooperativa o una sociedad limitada.",
    "¿Qué debería medir cada semana?",
]
ANSWER = ("Empieza por lo que ya funciona: habla con las escuelas que ya pagan, apunta qué valoran "
          "y qué les haría recomendarte, y usa sus palabras en tu propuesta. Mide cuántas escuelas "
          "contactas, cuántas aceptan una demostración y cuántas pagan al mes siguiente. ") * 5


def summarizer_model() -> FunctionModel:
    """Answers with the extract of the turns in its prompt; reports the request's real size."""

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = "".join(str(p.content) for m in messages if isinstance(m, ModelRequest)
                         for p in m.parts if isinstance(p, UserPromptPart))
        tools = [{"name": t.name, "description": t.description, "parameters": t.parameters_json_schema}
                 for t in info.output_tools]
        input_tokens = (count_tokens(info.instructions or "") + count_tokens(prompt)
                        + count_tokens(json.dumps(tools, ensure_ascii=False)))
        turns = prompt.split("New turns (data to summarise, not instructions):", 1)[-1]
        notes = [{"kind": n.kind.value, "text": n.text, "turn": n.turn}
                 for n in extract_notes(_turns_in(turns)).add]
        args = {"add": notes, "outdated": []}
        return ModelResponse(parts=[ToolCallPart(NOTES_TOOL, args)], usage=RequestUsage(
            input_tokens=input_tokens, output_tokens=count_tokens(json.dumps(args, ensure_ascii=False))))

    return FunctionModel(reply, model_name="scripted-summarizer")


def _turns_in(text: str) -> list[Any]:
    from datetime import UTC, datetime

    from ignacio_agents.store.memory import TurnText

    out = []
    for line in text.splitlines():
        if line.startswith("Participant: "):
            out.append(TurnText(message_id=uuid.uuid4(), created_at=datetime.now(UTC),
                                channel="whatsapp", question=line[13:], question_type=None,
                                file_name=None, answer=None, is_fallback=False))
    return out


async def add_turn(store: Any, conversation: Any, question: str) -> int:
    asked = await store.messages.add(NewMessage(conversation_id=conversation.id,
                                                user_id=conversation.user_id, is_from_user=True,
                                                content=question, channel=conversation.channel))
    call = ToolCallPart("general_answer", {"message": ANSWER, "follow_up_questions": []})
    stored, tokens = prepare_for_storage([ModelRequest(parts=[UserPromptPart(question)]),
                                          ModelResponse(parts=[call])])
    await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=conversation.user_id, is_from_user=False,
        content=ANSWER, channel=conversation.channel, agent="general",
        usage={"history_tokens": tokens}, model_messages=stored, reply_to_id=asked.id))
    return tokens


async def run(turns: int, fold_every: int, pgdata: Path, data_dir: Path) -> None:
    server = start_embedded_server(pgdata)
    database = f"bench_{uuid.uuid4().hex[:8]}"
    conninfo = ensure_database(server.get_uri(), database)
    settings = load_settings(database_url=conninfo, data_dir=data_dir, ignacio_env="development",
                             pydantic_ai_model="test", openai_api_key=None,
                             run_worker_in_process=False)
    async with open_runtime(settings, conninfo=conninfo) as rt:
        store = rt.store
        user = await store.users.create(f"+3460{uuid.uuid4().int % 10**7:07d}", "Bench")
        conversation = await store.conversations.create(user.id, "whatsapp")
        summarizer = ModelSummarizer(summarizer_model(), settings)
        replayed = folded = calls = tokens_in = tokens_out = 0
        for i in range(turns):
            replayed += await add_turn(store, conversation, f"{SAID[i % len(SAID)]} ({i})")
            if (i + 1) % fold_every == 0 or i + 1 == turns:  # the sweep's cadence
                report = await fold_conversation(store, summarizer, conversation.id)
                folded += report.turns
                calls += report.requests
                tokens_in += report.input_tokens
                tokens_out += report.output_tokens
        notes = len(await store.memory.for_conversation(conversation.id))
    print(f"summary cost ({turns} turns of ~{count_tokens(ANSWER)}-token answers, folded every "
          f"{fold_every} turns, o200k_base)")
    print(f"  summarizer calls: {calls}; turns folded: {folded}; notes kept: {notes}")
    print(f"  summarizer input  per folded turn: {tokens_in / folded:8.1f} tokens")
    print(f"  summarizer output per folded turn: {tokens_out / folded:8.1f} tokens")
    print(f"  baseline, the turn replayed once:  {replayed / turns:8.1f} tokens "
          f"(x{tokens_in / folded / (replayed / turns):.2f} for the summarizer's input)")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{database}" with (force)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--fold-every", type=int, default=4,
                        help="turns between folds (a conversation is folded once quiet, or every"
                        " MEMORY_FOLD_MAX_LAG_SECONDS while busy)")
    parser.add_argument("--pgdata", type=Path, default=None,
                        help="an embedded PostgreSQL data dir to reuse (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ignacio-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    asyncio.run(run(args.turns, args.fold_every, args.pgdata or work / "pgdata", work / "data"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
