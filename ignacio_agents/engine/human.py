"""The turn's human side: a conversation a mentor has paused gets no AI answer, and a
participant who asks for a person is told a mentor has been alerted (no model answers that).

Both leave the participant's words in the replayed history. The alert itself is a durable job
(``mentoring_jobs``) queued with the reply, so it is sent once even if this process dies, and
rate-limited there (one per conversation and recipient per ``MENTOR_ALERT_INTERVAL_SECONDS``).
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart

from ignacio_agents.agents import Route
from ignacio_agents.domain import DeliveryStatus, InboundMessage
from ignacio_agents.engine.context import TurnRejected
from ignacio_agents.errors import Conflict
from ignacio_agents.memory import prepare_for_storage
from ignacio_agents.responses import GeneralResponse, label_language
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.attention import AttentionKind
from ignacio_agents.store.mentoring import Pause
from ignacio_agents.store.messages import NewMessage, StoredMessage

ALERT_TASK = "mentoring:alert_staff"


class ConversationPaused(Conflict, TurnRejected):
    """A human has paused the AI on this conversation: the message is stored, not answered
    (a 409 for the web; a deferred answer job stops as for any turn it should not run)."""

    code = "conversation_paused"
    default_message = "A mentor is answering this conversation; your message was saved."


def history_entry(text: str) -> tuple[list[Any], int]:
    """One user-side request holding ``text``, as stored for replay, and its size."""
    return prepare_for_storage([ModelRequest(parts=[UserPromptPart(text)])])


async def hold_for_human(store: Store, question: StoredMessage) -> None:
    """The turn's participant message while the AI is paused: kept in the replayed history
    (no answer will carry it), and no model runs."""
    if question.content:
        model_messages, tokens = history_entry(question.content)
        await store.messages.set_model_messages(question.id, model_messages, history_tokens=tokens)


MENTOR_TOLD = {
    "es": "He avisado a tu mentor: una persona del programa te escribirá por aquí en cuanto "
          "pueda. Mientras tanto, si quieres, sigo ayudándote.",
    "en": "I've let your mentor know: a person from the program will write to you here as soon "
          "as they can. Meanwhile, I'm happy to keep helping.",
}


async def stop_if_paused(store: Store, settings: Settings, question: StoredMessage) -> None:
    """Raise ``ConversationPaused`` (after keeping the message in the history) while a human
    has the conversation."""
    pause = await store.mentoring.get_pause(
        question.conversation_id, timeout_seconds=settings.mentor_pause_timeout_seconds)
    await stop_for_pause(store, question, pause)


async def stop_for_pause(store: Store, question: StoredMessage, pause: Pause | None) -> None:
    """``stop_if_paused`` with the pause already read (the turn's opening read has it)."""
    if pause is not None:
        await hold_for_human(store, question)
        raise ConversationPaused()


def mentor_told_answer(language: str) -> GeneralResponse:
    language = label_language(language)
    return GeneralResponse(message=MENTOR_TOLD[language], follow_up_questions=[],
                           language=language)


async def answer_human_request(store: Store, jobs: Any, inbound: InboundMessage,
                               question: StoredMessage, route: Route, usage: dict[str, Any], *,
                               deferred: bool) -> tuple[StoredMessage, GeneralResponse]:
    """Store "a mentor has been told", flag the conversation for the queue and queue the
    alert, in one transaction."""
    answer = mentor_told_answer(route.language)
    history, tokens = prepare_for_storage([
        ModelRequest(parts=[UserPromptPart(inbound.text or "")]),
        ModelResponse(parts=[TextPart(answer.message)]),
    ])
    async with store.db.transaction() as tx:
        message = await store.messages.add(NewMessage(
            conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=False,
            content=answer.to_markdown(), channel=inbound.channel, agent=route.specialist.value,
            route_reason=route.reason, answer=answer.model_dump(mode="json"),
            usage={**usage, "history_tokens": tokens}, model_messages=history,
            reply_to_id=question.id,
            status=DeliveryStatus.pending if deferred else DeliveryStatus.sent,
        ), conn=tx)
        assert message is not None
        await store.attention.add(AttentionKind.mentor_request, conversation_id=question.conversation_id,
                                  message_id=question.id, user_id=question.user_id, conn=tx)
        if jobs is not None:
            await jobs.configure_task(ALERT_TASK, connection=tx).defer_async(
                conversation_id=str(question.conversation_id), message_id=str(question.id))
    return message, answer


async def flag_out_of_scope(store: Store, route: Route, question: StoredMessage) -> None:
    """A question the router sent to ``general`` as outside Ignacio's areas goes to the queue."""
    if route.out_of_scope:
        await store.attention.add(AttentionKind.out_of_scope,
                                  conversation_id=question.conversation_id,
                                  message_id=question.id, user_id=question.user_id)
