"""The running summary of a conversation: typed notes folded from turns that were answered.

A note is one short sentence of a kind: a fact about the participant or their project, a
decision, a number (with its unit), a commitment (who does what, by when) or a question still
open. A summarizer reads the notes so far and a batch of new turns and answers with a
``FoldDraft``: the notes to add and the ids of notes the new turns made outdated. Two
summarizers exist: a cheap model (``agents.summarizer``) and, with no model, the deterministic
``extract_notes`` here, so the whole memory path runs without a key.

Notes are compared by a fingerprint of their normalised text, and a deleted note is also
recognised when a later note says nearly the same thing with the same numbers
(``resembles``), so what a participant deletes does not come back from a later fold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, Field, field_validator

from ignacio_agents.store.memory import TurnText

NOTE_CHARS = 300
MESSAGE_CHARS = 1200  # of each message, in the summarizer's input
MAX_NOTES_PER_TURN = 4


class MemoryKind(StrEnum):
    fact = "fact"
    decision = "decision"
    number = "number"
    commitment = "commitment"
    open_question = "open_question"


# What survives when memory must be cut to fit: what was agreed first, open questions last.
KIND_PRIORITY = {MemoryKind.decision: 0, MemoryKind.commitment: 1, MemoryKind.number: 2,
                 MemoryKind.fact: 3, MemoryKind.open_question: 4}


class NoteDraft(BaseModel):
    kind: MemoryKind
    text: str = Field(description="One short sentence, in the conversation's language.")
    turn: int | None = Field(default=None, description="The number of the turn it comes from.")

    @field_validator("text")
    @classmethod
    def _short(cls, v: str) -> str:
        return clip(v, NOTE_CHARS)


class FoldDraft(BaseModel):
    """What a batch of turns adds to the running summary."""

    add: list[NoteDraft] = Field(default_factory=list,
                                 description="New notes; nothing already in the existing notes.")
    outdated: list[str] = Field(default_factory=list,
                                description="Ids of existing notes these turns correct or settle.")


# --- text ---------------------------------------------------------------------------------
def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def fold_text(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w%€$]+", " ", plain).split())


def fingerprint(text: str) -> bytes:
    return hashlib.sha256(fold_text(text).encode()).digest()


@lru_cache(maxsize=8192)
def _signature(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(its numbers, its words longer than two letters): what ``resembles`` compares."""
    numbers = frozenset(re.findall(r"\d+(?:[.,]\d+)?", text))
    words = frozenset(w for w in fold_text(text).split() if len(w) > 2 or w.isdigit())
    return numbers, words


def _numbers(text: str) -> frozenset[str]:
    return _signature(text)[0]


def resembles(text: str, other: str, threshold: float = 0.6) -> bool:
    """Nearly the same note: most words shared and exactly the same numbers ("3 pilotos" is not
    "5 pilotos", which is news worth keeping)."""
    numbers, a = _signature(text)
    other_numbers, b = _signature(other)
    if numbers != other_numbers or not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def is_forgotten(text: str, forgotten: Iterable[str]) -> bool:
    fp = fingerprint(text)
    return any(fingerprint(f) == fp or resembles(text, f) for f in forgotten)


def turn_label(turn: TurnText) -> str:
    return f"{turn.created_at:%Y-%m-%d}, {turn.channel}"


def question_text(turn: TurnText) -> str:
    parts = [turn.question] if turn.question else []
    if turn.file_name:
        parts.append(f"[{(turn.question_type or 'file')}: {turn.file_name}]")
    return " ".join(parts)


def turns_prompt(turns: list[TurnText]) -> str:
    """The new turns as plain text: what the participant said and what Ignacio answered."""
    blocks = []
    for number, turn in enumerate(turns, 1):
        lines = [f"Turn {number} ({turn_label(turn)})",
                 f"Participant: {clip(question_text(turn), MESSAGE_CHARS) or '(no text)'}"]
        if turn.answer and not turn.is_fallback:
            lines.append(f"Ignacio: {clip(turn.answer, MESSAGE_CHARS)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# --- the deterministic summarizer -------------------------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CUES: list[tuple[MemoryKind, re.Pattern[str]]] = [
    (MemoryKind.open_question, re.compile(
        r"\b(no se|no sabemos|todavia no|aun no|no tenemos claro|dudamos|not sure|don t know|"
        r"do not know|haven t decided|have not decided|undecided|no lo tenemos decidido)\b")),
    (MemoryKind.decision, re.compile(
        r"\b(hemos decidido|decidimos|he decidido|vamos a|elegimos|optamos|nos quedamos con|"
        r"we decided|we ve decided|we have decided|we chose|we will go with|we re going to|"
        r"we are going to|i decided)\b")),
    (MemoryKind.commitment, re.compile(
        r"\b(voy a|me comprometo|nos comprometemos|enviare|hare|prepararemos|presentare|"
        r"i will|i ll|we will|we ll|i promise|by (monday|tuesday|wednesday|thursday|friday)|"
        r"para el (lunes|martes|miercoles|jueves|viernes))\b")),
    (MemoryKind.fact, re.compile(
        r"\b(tenemos|somos|soy|tengo|mi proyecto|nuestro|nuestra|nuestros|nuestras|trabajamos|"
        r"vendemos|ofrecemos|ya hemos|llevamos|we have|we are|we re|i am|i m|our|we sell|"
        r"we offer|we work|my project|we ve)\b")),
]


def classify(sentence: str) -> MemoryKind | None:
    """The kind of note a sentence of the participant's makes, or None (not worth keeping)."""
    folded = fold_text(sentence)
    for kind, cue in _CUES:
        if cue.search(folded):
            if kind is MemoryKind.open_question:
                return kind
            if "?" in sentence:
                return None  # a question to Ignacio, answered in its turn
            if kind is MemoryKind.fact and _numbers(sentence):
                return MemoryKind.number
            return kind
    return None


def extract_notes(turns: list[TurnText]) -> FoldDraft:
    """The participant's own statements that carry a fact, decision, number, commitment or
    open question, found by cue words in Spanish and English. Deterministic: the same turns
    always give the same notes (and nothing is invented)."""
    notes: list[NoteDraft] = []
    seen: set[bytes] = set()
    for number, turn in enumerate(turns, 1):
        kept = 0
        for sentence in _SENTENCE.split(turn.question or ""):
            sentence = sentence.strip(" \t-•*")
            if len(sentence.split()) < 4 or kept >= MAX_NOTES_PER_TURN:
                continue
            kind = classify(sentence)
            fp = fingerprint(sentence)
            if kind is None or fp in seen:
                continue
            seen.add(fp)
            notes.append(NoteDraft(kind=kind, text=sentence, turn=number))
            kept += 1
    return FoldDraft(add=notes)
