"""Placeholder: the conversation engine lands with the agents work."""

from __future__ import annotations

from typing import Any


class ConversationEngine:
    def __init__(self, runtime: Any):
        self.runtime = runtime

    @classmethod
    def from_runtime(cls, runtime: Any) -> ConversationEngine:
        return cls(runtime)
