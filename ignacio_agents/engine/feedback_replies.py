"""Answers to the feedback prompt: "¿Te ha servido?" with 👍 / 👎 / "No más encuestas".

A channel that asks (WhatsApp, ``channels/whatsapp/feedback_prompt.py``) shows those three
as buttons; a tap comes back as a message with the button's title. Such a message (or writing
"no más encuestas" / "no more surveys") is no question: it rates the answer the prompt asked
about (``feedback_prompts.message_id``), or stops future prompts, and gets a one-line thanks
instead of a model's answer.
"""

from __future__ import annotations

from typing import Any, Literal

from ignacio_agents.agents import Route
from ignacio_agents.domain import DeliveryStatus, InboundMessage, Specialist
from ignacio_agents.language import detect_language, fold
from ignacio_agents.responses import GeneralResponse, label_language
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.messages import NewMessage, StoredMessage

Reply = Literal["up", "down", "stop"]
# The buttons' titles (at most 20 characters each), per language.
BUTTONS: dict[str, dict[Reply, str]] = {
    "es": {"up": "👍 Sí", "down": "👎 No", "stop": "No más encuestas"},
    "en": {"up": "👍 Yes", "down": "👎 No", "stop": "No more surveys"},
}
QUESTION = {"es": "¿Te ha servido? 👍 / 👎", "en": "Was this helpful? 👍 / 👎"}
THANKS = {
    "up": {"es": "¡Gracias! Me alegra que te sirva.", "en": "Thanks! Glad it helped."},
    "down": {"es": "Gracias por decírmelo: lo tendremos en cuenta.",
             "en": "Thanks for telling me: we'll look into it."},
    "stop": {"es": "Entendido, no te preguntaré más.", "en": "Got it, I won't ask again."},
}
_BY_TEXT: dict[str, Reply] = {
    " ".join(fold(title).split()): reply
    for titles in BUTTONS.values() for reply, title in titles.items()
}


def feedback_reply(text: str) -> Reply | None:
    """Which button (or the written opt-out) a message is, if it is one."""
    return _BY_TEXT.get(" ".join(fold(text or "").split()))


async def answer_feedback_reply(store: Store, settings: Settings, inbound: InboundMessage,
                                question: StoredMessage, reply: Reply, *,
                                deferred: bool) -> tuple[StoredMessage, GeneralResponse] | None:
    """Record the rating or the opt-out and store the thanks; None when a 👍/👎 answers no
    recent prompt (then it is an ordinary message)."""
    if reply == "stop":
        await store.feedback.opt_out(question.user_id)
    else:
        rated = await store.feedback.prompted_message(
            question.user_id, within_seconds=settings.feedback_prompt_interval_seconds)
        if rated is None:
            return None
        await store.feedback.record(rated, question.user_id, 1 if reply == "up" else -1,
                                    source=inbound.channel)
    language = label_language(detect_language(inbound.text))
    answer = GeneralResponse(message=THANKS[reply][language], follow_up_questions=[],
                             language=language)
    route = Route(reason="Feedback prompt reply.", specialist=Specialist.general,
                  language=language)
    message = await store.messages.add(NewMessage(
        conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=False,
        content=answer.to_markdown(), channel=inbound.channel, agent=route.specialist.value,
        route_reason=route.reason, answer=answer.model_dump(mode="json"),
        reply_to_id=question.id,
        status=DeliveryStatus.pending if deferred else DeliveryStatus.sent,
    ))
    assert message is not None
    return message, answer


def prompt_buttons(language: str) -> dict[str, Any]:
    """The prompt as a reply-button message body (ids say which button; titles come back)."""
    language = label_language(language)
    return {"type": "button", "body": {"text": QUESTION[language]},
            "action": {"buttons": [{"type": "reply", "reply": {"id": f"feedback:{key}",
                                                               "title": title}}
                                   for key, title in BUTTONS[language].items()]}}
