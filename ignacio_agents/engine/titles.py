"""A new conversation's title, from its first message (no model call: instant and free)."""

from __future__ import annotations

from ignacio_agents.domain import InboundMessage

TITLE_CHARS = 60


def title_for(inbound: InboundMessage) -> str | None:
    """The first words of the message (cut at a word), else the first attachment's name."""
    text = " ".join(inbound.text.split())
    if not text:
        return inbound.attachments[0].file_name[:TITLE_CHARS] if inbound.attachments else None
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0] or text[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"
