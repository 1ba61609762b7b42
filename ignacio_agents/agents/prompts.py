"""Prompt files, kept beside the code as Markdown so program staff can edit them without
touching Python (``prompts/<name>.md``; changes apply at the next start)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    return resources.files("ignacio_agents.agents").joinpath("prompts", f"{name}.md").read_text(
        encoding="utf-8"
    ).strip()
