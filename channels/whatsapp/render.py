"""Ignacio's answers as WhatsApp shows them: ``*bold*`` labels, an ``_italic_`` notice, plain
``-`` / ``1.`` lists, no headings or tables (WhatsApp would print the marks literally), cut into
parts of at most 4096 characters."""

from __future__ import annotations

from typing import Any

from channels.whatsapp.formatting import message_length, split_message
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


FOLLOW_UP_PREFIX = "fu:"  # button / row ids: "fu:<index of the follow-up question>"
BUTTON_TITLE_LIMIT = 20
BUTTON_BODY_LIMIT = 1024
MAX_BUTTONS = 3
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
MAX_ROWS = 10
LIST_BUTTON = {"es": "Responder", "en": "Answer"}


class InteractivePart(str):
    """A part sent as an interactive message (its text is the body): reply buttons, or a
    list when the options are too many or too long for buttons. Still a ``str`` to the
    channel-neutral delivery loop, which only passes parts through."""

    interactive: dict[str, Any]

    def __new__(cls, body: str, interactive: dict[str, Any]) -> InteractivePart:
        part = super().__new__(cls, body)
        part.interactive = interactive
        return part


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def follow_up_options(body: str, questions: list[str], language: str | None) -> dict[str, Any]:
    """The ``interactive`` object offering ``questions`` under ``body``: reply buttons when
    there are at most three and each fits a 20-character title (and the body 1024), else a
    list (at most ten rows: a 24-character title, the rest of the question below it)."""
    questions = [q for q in (" ".join(q.split()) for q in questions) if q][:MAX_ROWS]
    if (len(questions) <= MAX_BUTTONS and len(body) <= BUTTON_BODY_LIMIT
            and all(len(q) <= BUTTON_TITLE_LIMIT for q in questions)):
        return {"type": "button", "body": {"text": body}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": f"{FOLLOW_UP_PREFIX}{i}", "title": q}}
            for i, q in enumerate(questions)]}}
    rows = []
    for i, q in enumerate(questions):
        row: dict[str, Any] = {"id": f"{FOLLOW_UP_PREFIX}{i}", "title": _short(q, ROW_TITLE_LIMIT)}
        if len(q) > ROW_TITLE_LIMIT:
            row["description"] = _short(q, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    label = LIST_BUTTON["en" if (language or "es").startswith("en") else "es"]
    return {"type": "list", "body": {"text": body},
            "action": {"button": label, "sections": [{"rows": rows}]}}


def follow_up_question(reply: StoredMessage, option_id: str | None) -> str | None:
    """The follow-up question of ``reply`` that a tapped button or row (``fu:<n>``) names."""
    if not option_id or not option_id.startswith(FOLLOW_UP_PREFIX) or not reply.answer:
        return None
    try:
        index = int(option_id.removeprefix(FOLLOW_UP_PREFIX))
        questions = getattr(parse_answer(reply.answer), "follow_up_questions", [])
    except ValueError:
        return None
    return questions[index] if 0 <= index < len(questions) else None


def short_first(text: str, first_part_chars: int | None) -> list[str]:
    """``text`` cut for a phone: when it is longer than twice ``first_part_chars``, a first
    part of at most that many characters (its opening paragraph, or sentences, whichever
    boundary fits first), then the rest in parts of at most 4096; else parts of at most 4096."""
    text = text.strip()
    if not first_part_chars or message_length(text) <= 2 * first_part_chars or "```" in text:
        return split_message(text)
    first = split_message(text, first_part_chars)[0]
    if not text.startswith(first):  # never happens for fence-free text; cut as usual then
        return split_message(text)
    return [first, *split_message(text[len(first):])]


def whatsapp_parts(reply: StoredMessage, lead: str | None = None,
                   first_part_chars: int | None = None) -> list[str]:
    """The ordered WhatsApp texts (each ≤ 4096 characters) of a stored assistant message,
    after a ``lead`` line when given; a long one starts with a short part
    (:func:`short_first`).

    Derived from what is stored, never from the turn's in-memory result, so a resumed job cuts
    the answer exactly as the first attempt did.
    """
    text = ""
    questions: list[str] = []
    language: str | None = None
    if reply.answer:
        try:
            answer = parse_answer(reply.answer)
            text = answer_text(answer)
            questions = list(getattr(answer, "follow_up_questions", []) or [])
            language = answer.language
        except ValueError:
            text = ""
    if not text.strip():
        text = to_whatsapp(reply.content or "")
    if lead:
        text = f"{lead}\n\n{text}"
    parts = [part for part in short_first(text, first_part_chars) if part.strip()] or ["…"]
    if questions:  # the last part offers the follow-up questions to tap
        parts[-1] = InteractivePart(parts[-1], follow_up_options(parts[-1], questions, language))
    return parts
