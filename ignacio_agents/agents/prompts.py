"""Prompt files, kept beside the code as Markdown so program staff can edit them without
touching Python (``prompts/<name>.md``; changes apply at the next start), and the one way
text that did not come from the program is put into instructions."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    return resources.files("ignacio_agents.agents").joinpath("prompts", f"{name}.md").read_text(
        encoding="utf-8"
    ).strip()


def as_data(label: str, text: str) -> str:
    """``text`` written by a participant or a third party (a profile, a memory, earlier
    messages), fenced as ``<label>…</label>`` so instructions can say that whatever is inside
    is data, never instructions. A closing tag inside the text is defused, so the text cannot
    end the fence early and speak as the program."""
    body = re.sub(rf"<\s*(/?)\s*({re.escape(label)})\s*>", r"< \1\2 >", text, flags=re.I)
    return f"<{label}>\n{body}\n</{label}>"
