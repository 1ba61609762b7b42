"""A long advisor conversation through the real engine and store, the real PydanticAI OpenAI
client and the strict fake OpenAI server: the suite runs a short one, ``bench/context_window.py``
the full 500 turns.

Realistic shape: the participant writes a sentence or two, the router routes, and on every
other turn the specialist first searches the history, then answers with about 250 words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, tool_call

_TEXT = ("el precio de lanzamiento tiene que cubrir costes y reflejar el valor que perciben los "
          "clientes por eso conviene entrevistar a cinco compradores probar dos tarifas medir la "
          "conversion durante un mes y ajustar antes de invertir en publicidad en redes sociales "
          "con un presupuesto pequeño y un objetivo claro de aprendizaje")
_WORDS = _TEXT.split(" ")
_TURN = re.compile(r"Turno (\d+):")


def words(n: int, offset: int = 0) -> str:
    return " ".join(_WORDS[(offset + i) % len(_WORDS)] for i in range(n))


def question(turn: int) -> str:
    return (f"Turno {turn}: tenemos 3 pilotos de pago en Valencia y quiero saber cómo fijar el "
            f"precio del plan anual sin perder a los primeros clientes (pregunta {turn}).")


def answer(turn: int) -> dict[str, Any]:
    """About 250 words over the answer's fields."""
    return {"advice": words(160, turn), "action_items": [words(25, turn + k) for k in range(3)],
            "resources": ["The Mom Test", "Van Westendorp"]}


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            content = message["content"]
            return content if isinstance(content, str) else " ".join(
                p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def advisor(body: dict[str, Any]) -> dict[str, Any]:
    """Route to marketing; on even turns search the history first; then answer."""
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if "route" in tools:
        return {"tool_calls": [tool_call("route", {"specialist": "marketing", "reason": "precio",
                                                   "language": "es"})]}
    match = _TURN.search(_last_user_text(body["messages"]))
    turn = int(match.group(1)) if match else 0
    if body["messages"][-1]["role"] != "tool" and turn % 2 == 0:
        return {"tool_calls": [tool_call("search_history", {"query": "precio pilotos Valencia"})]}
    return {"tool_calls": [tool_call("marketing_answer", answer(turn))]}


def engine_settings(base: Settings, server: FakeOpenAIServer, model: str,
                    **overrides: Any) -> Settings:
    return base.model_copy(update={
        "openai_base_url": server.base_url, "openai_api_key": SecretStr("dummy-key"),
        "pydantic_ai_model": model, "pydantic_ai_triage_model": None, "model_attempts": 1,
        **overrides,
    })


@dataclass
class TurnFigures:
    turn: int
    fallback: bool
    input_tokens: int  # every request of the turn, router included
    largest_request: int  # prompt + requested completion tokens of the turn's largest request


@dataclass
class ConversationRun:
    turns: list[TurnFigures] = field(default_factory=list)

    @property
    def fallbacks(self) -> int:
        return sum(t.fallback for t in self.turns)


async def run_conversation(engine: ConversationEngine, server: FakeOpenAIServer, user_id: Any,
                           conversation_id: Any, turns: int, *, first: int = 1) -> ConversationRun:
    run = ConversationRun()
    for n in range(first, first + turns):
        before = len(server.requests)
        result = await engine.run_turn(InboundMessage(
            user_id=user_id, conversation_id=conversation_id, channel="web", text=question(n)))
        sent = server.requests[before:]
        run.turns.append(TurnFigures(
            turn=n, fallback=result.is_fallback,
            input_tokens=sum(r.prompt_tokens for r in sent),
            largest_request=max(r.prompt_tokens + (r.json.get("max_completion_tokens")
                                                   or r.json.get("max_tokens") or 0) for r in sent),
        ))
    return run
