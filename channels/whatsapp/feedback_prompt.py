"""The sampled "¿Te ha servido?" follow-up after an answer on WhatsApp, as reply buttons.

Sent after at most ``FEEDBACK_PROMPT_PERCENT`` % of answers (chosen by the answer's id, so a
re-run job decides the same way), never twice to one participant within
``FEEDBACK_PROMPT_INTERVAL_SECONDS``, and never again once they opted out (the third button, or
writing "no más encuestas"). Only a model's delivered answer is asked about: no fallbacks,
fixed replies or mentors' messages. Taps come back as messages the engine turns into feedback
(``ignacio_agents.engine.feedback_replies``). Best effort: a failed prompt is logged, never
retried.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from channels.whatsapp.client import GraphError
from ignacio_agents.delivery import DeliveryReport, Outcome
from ignacio_agents.domain import ADVISORS
from ignacio_agents.engine.feedback_replies import prompt_buttons
from ignacio_agents.store.messages import StoredMessage

if TYPE_CHECKING:
    from channels.whatsapp.channel import WhatsAppChannel
    from ignacio_agents.runtime import Runtime

log = logging.getLogger(__name__)
_ADVISOR_NAMES = frozenset(s.value for s in ADVISORS)


def sampled(message_id: object, percent: float) -> bool:
    """Whether this answer is in the sample (stable per answer)."""
    bucket = int.from_bytes(hashlib.sha256(str(message_id).encode()).digest()[:4], "big") % 10_000
    return bucket < percent * 100


def worth_asking(reply: StoredMessage) -> bool:
    return (reply.answer is not None and not reply.is_fallback and reply.author_id is None
            and reply.agent in _ADVISOR_NAMES and reply.route_reason != "Feedback prompt reply.")


async def maybe_ask(runtime: Runtime, channel: WhatsAppChannel, report: DeliveryReport,
                    to: str) -> bool:
    """Send the prompt after a delivered answer when the sample and the limits allow."""
    if report.outcome is not Outcome.sent or report.reply_id is None or report.sent_now == 0:
        return False
    settings = runtime.settings
    if not sampled(report.reply_id, settings.feedback_prompt_percent):
        return False
    store = runtime.store
    reply = await store.messages.get(report.reply_id)
    if reply is None or not worth_asking(reply) or channel.client is None:
        return False
    if not await store.feedback.claim_prompt(
            reply.user_id, reply.id, min_interval_seconds=settings.feedback_prompt_interval_seconds):
        return False
    language = (reply.answer or {}).get("language") or "es"
    try:
        await channel.client.send_interactive(to, prompt_buttons(language))
    except GraphError as exc:
        log.warning("feedback prompt not sent (code %s)", exc.code)
        return False
    return True
