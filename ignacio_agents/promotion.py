"""A rated or flagged turn becomes an eval case: the participant's question (with the turns
before it), who should have answered it, and the admin's notes, in the shape of the datasets
under ``evals/datasets`` (see ``evals/cases.py``).

Identifying details are stripped unless the admin keeps them explicitly: the participant's name
becomes ``[nombre]``, phone numbers ``[teléfono]``, e-mail addresses ``[email]``, and an
attachment is named by its kind only (its file and content never enter a case). Promoted cases
are stored (``eval_cases``) and written to ``evals/datasets/promoted/<suite>.yaml`` by
``ignacio export-eval-cases``; the offline eval run in ``make test`` loads that file with its
suite.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from uuid import UUID

from psycopg.errors import UniqueViolation

from ignacio_agents.domain import ADVISORS, WEB_CHANNEL, Specialist
from ignacio_agents.errors import Conflict, InvalidInput, NotFound
from ignacio_agents.language import detect_language
from ignacio_agents.store import Store
from ignacio_agents.store.eval_cases import StoredEvalCase
from ignacio_agents.store.messages import StoredMessage
from ignacio_agents.store.users import StoredUser

Suite = Literal["routing", "answer_structure"]
HISTORY_TURNS = 4  # earlier messages kept with a follow-up question

_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def strip_details(text: str, names: list[str]) -> str:
    """The text without the participant's name, phone numbers or e-mail addresses."""
    out = _EMAIL.sub("[email]", text)
    out = _PHONE.sub("[teléfono]", out)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        out = re.sub(rf"\b{re.escape(name)}\b", "[nombre]", out, flags=re.IGNORECASE)
    return out


def _text(message: StoredMessage, names: list[str], keep: bool) -> str:
    if message.file_id is not None or message.message_type.value != "text":
        label = f"[{message.message_type.value}]"
        return label if not keep else f"{label} {message.content or ''}".strip()
    text = message.content or ""
    return text if keep else strip_details(text, names)


async def _question_and_history(store: Store, message: StoredMessage) -> tuple[StoredMessage,
                                                                               list[StoredMessage]]:
    """The participant's message of the turn (the message itself, or the one it answers) and
    the messages before it in the conversation."""
    question = message
    if not message.is_from_user:
        if message.reply_to_id is None:
            raise InvalidInput("This answer is not linked to a question.")
        found = await store.messages.get(message.reply_to_id)
        if found is None:
            raise NotFound.of("question")
        question = found
    transcript = await store.messages.transcript(question.conversation_id)
    earlier = [m for m in transcript if (m.created_at, str(m.id)) < (question.created_at,
                                                                      str(question.id))]
    return question, earlier[-HISTORY_TURNS:]


def case_name(suite: Suite, message_id: UUID) -> str:
    return f"promoted-{'routing' if suite == 'routing' else 'answer'}-{str(message_id)[:8]}"


async def build_case(store: Store, message: StoredMessage, participant: StoredUser, *,
                     suite: Suite, expected: Specialist, notes: str | None,
                     keep_details: bool) -> dict[str, Any]:
    """The dataset case (a plain dict, ready for YAML) for the turn of ``message``."""
    if suite == "answer_structure" and expected not in ADVISORS:
        raise InvalidInput("An answer case needs a specialist who answers (not human).")
    question, earlier = await _question_and_history(store, message)
    names = [participant.name or "", *(participant.name or "").split()]
    text = _text(question, names, keep_details).strip()
    if not text:
        raise InvalidInput("The question has no words to evaluate.")
    history = [{"role": "user" if m.is_from_user else "assistant",
                **({"specialist": m.agent} if not m.is_from_user and m.agent in
                   {s.value for s in ADVISORS} else {}),
                "text": _text(m, names, keep_details)}
               for m in earlier if (m.content or m.file_id) and m.author_id is None]
    history = [h for h in history if h["text"].strip()]
    language = detect_language(text, participant.preferred_language)
    metadata: dict[str, Any] = {"language": language if language in ("es", "en") else "es"}
    inputs: dict[str, Any] = {"message": text}
    case: dict[str, Any] = {"name": case_name(suite, question.id)}
    if suite == "routing":
        if history:
            inputs["history"] = history
        metadata["category"] = "follow_up" if history else "direct"
        case.update(inputs=inputs, expected_output=expected.value)
    else:
        inputs.update(specialist=expected.value, channel=question.channel or WEB_CHANNEL)
        case["inputs"] = inputs
    if notes:
        metadata["notes"] = notes if keep_details else strip_details(notes, names)
    case["metadata"] = metadata
    return case


async def promote(store: Store, admin: StoredUser, message_id: UUID, *, suites: list[Suite],
                  expected: Specialist, notes: str | None, keep_details: bool,
                  client_ip: str | None) -> list[StoredEvalCase]:
    message = await store.messages.get(message_id)
    if message is None:
        raise NotFound.of("message")
    participant = await store.users.get(message.user_id)
    if participant is None:
        raise NotFound.of("message")
    cases = [(suite, await build_case(store, message, participant, suite=suite,
                                      expected=expected, notes=notes, keep_details=keep_details))
             for suite in dict.fromkeys(suites)]
    try:
        return await _store_cases(store, admin, message, cases, expected=expected,
                                  keep_details=keep_details, client_ip=client_ip)
    except UniqueViolation:
        raise Conflict("This turn was already promoted.", code="already_promoted") from None


async def _store_cases(store: Store, admin: StoredUser, message: StoredMessage,
                       cases: list[tuple[Suite, dict[str, Any]]], *, expected: Specialist,
                       keep_details: bool, client_ip: str | None) -> list[StoredEvalCase]:
    suites = [suite for suite, _ in cases]
    async with store.db.transaction() as tx:
        stored = [await store.eval_cases.add(name=case["name"], suite=suite,
                                             message_id=message.id, body=case,
                                             created_by=admin.id, conn=tx)
                  for suite, case in cases]
        await store.audit.record(actor_id=admin.id, action="eval_case.promote",
                                 target_type="message", target_id=message.id, client_ip=client_ip,
                                 details={"suites": suites,
                                          "expected": expected.value,
                                          "kept_details": keep_details}, conn=tx)
    return stored


def dataset_files(cases: list[StoredEvalCase]) -> dict[str, str]:
    """The promoted datasets' YAML, one file per suite (``<suite>.yaml``), oldest case first."""
    import yaml

    header = ("# Cases promoted from real turns by the program's admins (ignacio export-eval-cases).\n"
              "# Identifying details were stripped at promotion; edit or delete cases freely.\n")
    files: dict[str, str] = {}
    for suite in ("routing", "answer_structure"):
        bodies = [c.body for c in cases if c.suite == suite]
        if bodies:
            files[f"{suite}.yaml"] = header + yaml.safe_dump(
                {"name": f"promoted_{suite}", "cases": bodies}, allow_unicode=True,
                sort_keys=False, width=100)
    return files
