"""Replayed history, validated once per stored turn.

Every turn replays the conversation's stored turns, and turning their JSON back into
PydanticAI messages was the largest piece of a turn's own CPU: at 60 turns, 118 KB validated
again on every question, the same bytes as the turn before plus one turn. A stored turn's
``model_messages`` never change once written (a regenerated or edited-away answer is left out
of the replay, not rewritten), so a worker keeps each turn's validated messages keyed by its
JSON text: a text seen before is the same turn, and a changed row is a new key, so nothing is
ever invalidated by hand.

The cached messages are handed out as fresh objects: PydanticAI records things on the requests
of a run (new parts lists, instructions, metadata) by assigning attributes, so each run gets its
own shallow copies, with its own metadata dict, and the cached ones stay as validated.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_ai import ModelMessagesTypeAdapter
from pydantic_ai.messages import ModelMessage, repair_messages

from ignacio_agents.memory import validated

# About 10 MB of JSON per worker: the recent turns of a few hundred active conversations.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def validate_turn(text: str) -> list[ModelMessage]:
    """One stored turn (a JSON array of messages) straight from JSON; when some message does
    not validate, decoded and checked message by message (``memory.validated``)."""
    try:
        return ModelMessagesTypeAdapter.validate_json(text)
    except ValidationError:
        pass
    try:
        rows = json.loads(text)
    except ValueError:
        return []
    return validated(rows) if isinstance(rows, list) else []


def _fresh(message: ModelMessage) -> ModelMessage:
    """A shallow copy (a third of ``copy.copy``'s cost), with its own metadata dict."""
    clone = object.__new__(type(message))
    clone.__dict__.update(message.__dict__)
    if message.metadata:
        clone.metadata = copy.deepcopy(message.metadata)
    return clone


class HistoryCache:
    """Validated stored turns by their JSON text, least recently replayed dropped first."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._turns: OrderedDict[str, tuple[ModelMessage, ...]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def load(self, turns: Iterable[str]) -> list[ModelMessage]:
        """The turns' messages in order, repaired so the history is always runnable (e.g.
        after a crash mid-turn), as ``memory.load_history`` returns them."""
        messages: list[ModelMessage] = []
        for text in turns:
            messages.extend(_fresh(m) for m in self._turn(text))
        return repair_messages(messages)

    def _turn(self, text: str) -> tuple[ModelMessage, ...]:
        cached = self._turns.get(text)
        if cached is not None:
            self.hits += 1
            self._turns.move_to_end(text)
            return cached
        self.misses += 1
        turn = tuple(validate_turn(text))
        if len(text) <= self.max_bytes:
            self._turns[text] = turn
            self._bytes += len(text)
            while self._bytes > self.max_bytes:
                dropped, _ = self._turns.popitem(last=False)
                self._bytes -= len(dropped)
        return turn

    def __len__(self) -> int:
        return len(self._turns)

    def stats(self) -> dict[str, Any]:
        return {"turns": len(self._turns), "bytes": self._bytes,
                "hits": self.hits, "misses": self.misses}
