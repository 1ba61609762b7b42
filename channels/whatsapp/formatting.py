"""Cut WhatsApp text into sendable parts (the Markdown conversion is ``markup.py``).

Text messages hold at most 4096 characters; :func:`split_message` cuts on the most natural
boundary that fits (paragraph, then line / list item, then sentence, then word) and never drops
or reorders a word.
"""

from __future__ import annotations

import re

from channels.whatsapp.markup import to_whatsapp

__all__ = ["WHATSAPP_TEXT_LIMIT", "message_length", "render_whatsapp", "split_message", "to_whatsapp"]

WHATSAPP_TEXT_LIMIT = 4096

# --- splitting ----------------------------------------------------------------------------------

# Boundaries from the most to the least natural; each level is tried only for a piece that is
# still too long at the previous one. Separators at a cut are dropped (they are whitespace).
_LEVELS = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraphs
    re.compile(r"[ \t]*\n\s*"),  # lines, hence list items
    re.compile(r"(?<=[.!?…:;])\s+"),  # sentences
    re.compile(r"\s+"),  # words
)


def message_length(text: str) -> int:
    """Length as WhatsApp may count it: UTF-16 code units (an emoji counts twice), a safe
    upper bound of the code-point count."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = WHATSAPP_TEXT_LIMIT) -> list[str]:
    """Ordered parts of ``text``, each at most ``limit`` long, none empty, no word lost."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    text = text.strip()
    if not text:
        return []
    fenced = "```" in text and limit > 4 * len(_FENCE_MARK)
    budget = limit - 2 * len(_FENCE_MARK) if fenced else limit
    parts = [part for part in (p.strip() for p in _split(text, budget, 0)) if part]
    return _balance_fences(parts) if fenced else parts


_FENCE_MARK = "\n```"


def _balance_fences(parts: list[str]) -> list[str]:
    """A part cut inside a code block closes it, and the next part reopens it, so WhatsApp
    shows code as code in every message (room for the marks was kept when splitting)."""
    out: list[str] = []
    inside = False
    for part in parts:
        if inside:
            part = "```\n" + part
        inside = sum(1 for line in part.splitlines() if line.lstrip().startswith("```")) % 2 == 1
        out.append(part + "\n```" if inside else part)
    return out


def render_whatsapp(markdown: str, limit: int = WHATSAPP_TEXT_LIMIT) -> list[str]:
    """An answer in Markdown -> the WhatsApp messages to send, in order."""
    return split_message(to_whatsapp(markdown), limit)


def _split(text: str, limit: int, level: int) -> list[str]:
    if message_length(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return _hard_cut(text, limit)
    tokens = _LEVELS[level].split(text)
    seps = [m.group(0) for m in _LEVELS[level].finditer(text)]
    parts: list[str] = []
    current = ""
    for index, piece in enumerate(tokens):
        sep = seps[index - 1] if index else ""
        if not piece:
            continue
        if current and message_length(current + sep + piece) <= limit:
            current += sep + piece
            continue
        if current:
            parts.append(current)
        if message_length(piece) <= limit:
            current = piece
        else:
            pieces = _split(piece, limit, level + 1)
            parts.extend(pieces[:-1])
            current = pieces[-1]
    if current:
        parts.append(current)
    return parts


def _hard_cut(text: str, limit: int) -> list[str]:
    """Last resort for a single word longer than the limit (a long URL, say)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = message_length(char)
        if size + width > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts
