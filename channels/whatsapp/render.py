"""Ignacio's answers as WhatsApp shows them: ``*bold*`` labels, an ``_italic_`` notice, plain
``-`` / ``1.`` lists, no headings or tables (WhatsApp would print the marks literally), cut into
parts of at most 4096 characters."""

from __future__ import annotations

from channels.whatsapp.formatting import split_message
from channels.whatsapp.markup import inline_to_whatsapp, to_whatsapp
from ignacio_agents.responses import AdvisorAnswer, parse_answer
from ignacio_agents.store.messages import StoredMessage


def answer_text(answer: AdvisorAnswer, language: str | None = None) -> str:
    """One typed answer as a single WhatsApp text (before splitting)."""
    out: list[str] = []
    if notice := answer.notice(language):
        out.append(f"_{notice}_")
    for label, body, numbered in answer.blocks(language):
        if isinstance(body, str):
            out.append(to_whatsapp(body))
            continue
        lines = [f"*{label}*"]
        lines += [
            f"{i}. {inline_to_whatsapp(item)}" if numbered else f"- {inline_to_whatsapp(item)}"
            for i, item in enumerate(body, 1)
        ]
        out.append("\n".join(lines))
    return "\n\n".join(out)


# The line before an answer to messages that reached us late (after an outage, Meta
# redelivers up to 7 days of messages): one apology, then the answer.
LATE_APOLOGY = {
    "es": "_Perdona la demora: tus mensajes me han llegado con retraso._",
    "en": "_Sorry for the delay: your messages only reached me now._",
}


def late_apology(language: str | None) -> str:
    return LATE_APOLOGY["en" if (language or "es").startswith("en") else "es"]


def whatsapp_parts(reply: StoredMessage, lead: str | None = None) -> list[str]:
    """The ordered WhatsApp texts (each ≤ 4096 characters) of a stored assistant message,
    after a ``lead`` line when given.

    Derived from what is stored, never from the turn's in-memory result, so a resumed job cuts
    the answer exactly as the first attempt did.
    """
    text = ""
    if reply.answer:
        try:
            text = answer_text(parse_answer(reply.answer))
        except ValueError:
            text = ""
    if not text.strip():
        text = to_whatsapp(reply.content or "")
    if lead:
        text = f"{lead}\n\n{text}"
    return [part for part in split_message(text) if part.strip()] or ["…"]
