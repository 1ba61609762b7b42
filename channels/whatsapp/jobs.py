"""WhatsApp's durable jobs: answer one stored inbound message; greet a stranger politely; tell a
participant an answer is waiting.

``answer_message`` runs under the conversation's lock (``conv:{id}``), so one user's messages
are answered in order while other users' run in parallel. It is idempotent, which is what makes
a reply exactly-once when a worker dies mid-job and the stalled-job reaper re-queues it:

1. if the assistant reply for this inbound message is already stored, the model is not run
   again: only the parts without a stored outbound wamid are sent (``ignacio_agents.answering``). The
   reply is found by its ``reply_to_id``, written in the same insert as the reply itself, so a
   stored reply is always findable;
2. otherwise: mark read + typing, fetch the media (once: a fetched file is on the message),
   transcribe a voice note when configured, run the engine turn (which stores the reply), then
   send it.

Sending is durable: a retryable Graph error (130429, 131056, 5xx, timeouts, connection errors)
ends the run with :class:`RetryLater` and procrastinate runs the *same* job again after
``base * 4**attempt`` seconds with jitter, capped (:func:`~ignacio_agents.delivery.retry_delay`).
The job keeps its id, so later jobs of the conversation stay queued behind it and answers
arrive in order. When the next attempt would fall outside the 24-hour window, or Graph answers
131047, the reply is held and the participant gets the approved "answer waiting" template; the
reply goes out with their next message.

The only duplicate left is a part Graph accepted just before the worker died, before its wamid
was stored (see ``ignacio_agents.delivery``).

``blueprint()`` builds a fresh Blueprint per job app: procrastinate prefixes task names in place
when a blueprint is added to an app, so sharing one Blueprint object between two apps in one
process (tests, benchmarks) would rename the tasks to ``whatsapp:whatsapp:…``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from procrastinate import Blueprint, JobContext
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from channels.whatsapp.channel import NAME, WhatsAppChannel, whatsapp_of
from channels.whatsapp.client import (
    PAIR_RATE_LIMIT_CODE,
    PAIR_RATE_LIMIT_SECONDS,
    GraphError,
    MediaTooLargeError,
    WhatsAppClient,
    send_with_retry,
)
from channels.whatsapp.identity import masked, unseal
from channels.whatsapp.inbound import is_new_conversation_command
from channels.whatsapp.media import MediaUnavailable, fetch_media
from channels.whatsapp.quotes import turn_text
from channels.whatsapp.render import follow_up_question, late_apology, whatsapp_parts
from channels.whatsapp.replies import NOT_ENROLLED, ReplyName, megabytes, reply_text
from channels.whatsapp.welcome import send_welcome
from ignacio_agents.answering import UNREAD, Unread, answer_stored
from ignacio_agents.channel import Sender, SendFailed
from ignacio_agents.consent import notice_to_send
from ignacio_agents.delivery import DeliveryReport, Outcome, deliver, retry_delay
from ignacio_agents.documents.sniff import UnsupportedFileType
from ignacio_agents.domain import Attachment, DeliveryStatus, InboundMessage, MessageType
from ignacio_agents.engine import TurnRejected
from ignacio_agents.files import FileTooLarge
from ignacio_agents.jobs import runtime_of
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import Neighbour, NewMessage, StoredMessage
from ignacio_agents.usage_caps import UsageCapReached, notice_text

log = logging.getLogger(__name__)

NAMESPACE = "whatsapp"
# The "answer waiting" template's delivery row: before the answer's own parts (0, 1, …).
NOTICE_PART = -1
# A text's job is queued for the end of its quiet period by the app's clock, a moment before
# the database stamps the message: that much early still counts as quiet.
QUIET_SLACK_SECONDS = 0.25
# Margin kept before the window closes: a send that lands after it would be refused.
WINDOW_MARGIN = timedelta(minutes=1)


class RetryLater(Exception):
    """End this run; run the same job again in ``seconds`` (a retryable send failure)."""

    def __init__(self, seconds: float, code: str | None) -> None:
        super().__init__(f"retry in {seconds:.1f} s (code {code})")
        self.seconds = seconds
        self.code = code


class AnswerRetry(BaseRetryStrategy):
    """:class:`RetryLater` is retried when it says; any other failure (a database hiccup)
    gets one quick retry, and the job resumes where it stopped."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_in={"milliseconds": max(1, round(exception.seconds * 1000))})
        if job.attempts >= 1:
            return None
        return RetryDecision(retry_in={"seconds": 1})


_RETRY = AnswerRetry()


def blueprint() -> Blueprint:
    """The WhatsApp tasks, on a new Blueprint (registered as ``whatsapp:<name>``)."""
    bp = Blueprint()
    bp.ignacio_namespace = NAMESPACE  # type: ignore[attr-defined]
    bp.task(name="answer_message", pass_context=True, retry=_RETRY)(answer_message)
    bp.task(name="send_not_enrolled", pass_context=True, retry=_RETRY)(send_not_enrolled)
    bp.task(name="answer_waiting", pass_context=True, retry=_RETRY)(answer_waiting)
    bp.task(name="send_welcome", pass_context=True, retry=_RETRY)(send_welcome)
    return bp


async def answer_message(context: JobContext, message_id: str, to: str, kind: str = "text",
                         media: dict[str, Any] | None = None, late: bool = False) -> None:
    runtime = runtime_of(context)
    channel = whatsapp_of(runtime)
    channel.require_client()
    answer = Answer(runtime, channel, UUID(message_id), unseal(runtime.store.cipher, to),
                    kind, media, attempt=context.job.attempts, late=late)
    await answer.run()


async def answer_waiting(context: JobContext, message_id: str, to: str, code: str) -> None:
    """A reply Graph refused after accepting it (131047 in a status webhook): hold it and tell
    the participant an answer is waiting."""
    runtime = runtime_of(context)
    channel = whatsapp_of(runtime)
    await Waiting(runtime, channel, unseal(runtime.store.cipher, to),
                  context.job.attempts).hold(UUID(message_id), code)


async def send_not_enrolled(context: JobContext, to: str) -> None:
    runtime = runtime_of(context)
    client = whatsapp_of(runtime).require_client()
    recipient = unseal(runtime.store.cipher, to)
    try:
        await send_with_retry(lambda: client.send_text(recipient, NOT_ENROLLED), attempts=3,
                              base_delay=0.5, max_delay=4.0)
    except GraphError as exc:
        log.warning("not-enrolled reply to %s failed (code %s)", masked(recipient), exc.code)


class Waiting:
    """Holding a reply the window refuses, and the template that says it is waiting."""

    def __init__(self, runtime: Runtime, channel: WhatsAppChannel, to: str, attempt: int) -> None:
        self.store = runtime.store
        self.channel = channel
        self.to = to
        self.attempt = attempt

    def delay(self, code: str | None) -> float:
        s = self.channel.settings
        floor = PAIR_RATE_LIMIT_SECONDS if code == str(PAIR_RATE_LIMIT_CODE) else 0.0
        return retry_delay(self.attempt, base=s.send_retry_base_seconds,
                           cap=s.send_retry_max_seconds, floor=floor)

    async def window_allows(self, conversation_id: UUID, delay: float) -> bool:
        """Whether a send ``delay`` seconds from now still falls inside the window."""
        last = await self.store.messages.last_from_user_at(conversation_id)
        if last is None:
            return False
        closes = last + timedelta(seconds=self.channel.settings.reply_window_seconds)
        return datetime.now(UTC) + timedelta(seconds=delay) < closes - WINDOW_MARGIN

    async def hold(self, reply_id: UUID, code: str) -> None:
        """Hold the reply for the participant's next message and send the template once."""
        messages = self.store.messages
        await messages.hold(reply_id, code)
        notice = [d for d in await messages.deliveries(reply_id) if d.part_index == NOTICE_PART]
        if notice and notice[0].external_id:
            return
        try:
            wamid = await self.channel.send_answer_waiting(self.to)
        except SendFailed as exc:
            if exc.retryable:
                raise RetryLater(self.delay(exc.code), exc.code) from exc
            # The answer still goes out when they write; the admin sees why they were not told.
            await messages.set_status(reply_id, DeliveryStatus.pending, exc.code)
            log.warning("answer-waiting template for reply %s refused (code %s)",
                        reply_id, exc.code)
            return
        await messages.add_delivery(reply_id, NOTICE_PART, external_id=wamid,
                                    status=DeliveryStatus.sent)
        log.info("reply %s held until the participant writes; template sent", reply_id)

    async def settle(self, report: DeliveryReport, conversation_id: UUID) -> None:
        """Act on a delivery that did not finish: retry later, or hold and notify."""
        if report.outcome in (Outcome.sent, Outcome.failed) or report.reply_id is None:
            return
        code = report.failed_code or "unknown"
        if report.outcome is Outcome.retry:
            delay = self.delay(code)
            if await self.window_allows(conversation_id, delay):
                raise RetryLater(delay, code)
        await self.hold(report.reply_id, code)


# Answered on their own, at once: commands and messages with a fixed reply.
_ALONE = frozenset({"new_conversation", "unsupported"})


def _joins(newer: Neighbour) -> bool:
    """Whether a newer message's job will take this text along (an unanswered text that
    is not a command)."""
    return (not newer.answered and newer.message_type is MessageType.text
            and bool((newer.content or "").strip())
            and not is_new_conversation_command(newer.content))


class Apologising:
    """The WhatsApp sender, with one apology line above the answer (late messages)."""

    def __init__(self, channel: WhatsAppChannel, lead: str) -> None:
        self.channel = channel
        self.lead = lead
        self.traits = channel.traits

    def render(self, reply: StoredMessage) -> list[str]:
        return whatsapp_parts(reply, self.lead, self.channel.settings.first_part_chars)

    async def send_part(self, to: str, text: str, *, reply_to: str | None) -> str:
        return await self.channel.send_part(to, text, reply_to=reply_to)

    async def mark_read(self, external_id: str, *, typing: bool) -> None:
        await self.channel.mark_read(external_id, typing=typing)


class Answer:
    """One run of ``answer_message``."""

    def __init__(self, runtime: Runtime, channel: WhatsAppChannel, message_id: UUID, to: str,
                 kind: str, media: dict[str, Any] | None, *, attempt: int = 0,
                 late: bool = False) -> None:
        self.runtime = runtime
        self.attempt = attempt
        self.late = late
        self.earlier: list[UUID] = []  # unanswered messages just before, answered with this one
        self.store = runtime.store
        self.channel = channel
        self.client: WhatsAppClient = channel.require_client()
        self.message_id = message_id
        self.to = to
        self.kind = kind
        self.media = media

    async def run(self) -> None:
        # The stored message is read once here and handed on: each step used to read it again.
        inbound = await self.store.messages.get(self.message_id)
        if inbound is None:
            log.info("whatsapp message %s is gone (deleted); nothing to answer", self.message_id)
            return
        turn = await self._takes_turn(inbound)
        if turn is None:
            return
        reply, held = turn
        held = await self._consent_notice(inbound) or held
        sender: Sender = self.channel
        if self.late:
            sender = Apologising(self.channel, late_apology(await self._language(inbound)))
        report = await answer_stored(self.runtime, sender, self.message_id, self.to,
                                     self._compose, inbound=inbound, reply=reply, held=held)
        if report is not None and report.reply_id is not None:
            # Held replies and this one are all in the message's conversation.
            waiting = Waiting(self.runtime, self.channel, self.to, self.attempt)
            await waiting.settle(report, inbound.conversation_id)
            from channels.whatsapp.feedback_prompt import maybe_ask

            await maybe_ask(self.runtime, self.channel, report, self.to)

    async def _consent_notice(self, inbound: StoredMessage) -> bool:
        """On the participant's first contact: the consent notice, as its own message before
        the first answer (so it is read first and goes out even when no answer does: a
        paused conversation, a cap). Sent exactly once, like any reply; a refused send is
        retried or held like one. True when it was held."""
        notice = await notice_to_send(self.store, self.runtime.settings, inbound.user_id,
                                      inbound.conversation_id, NAME)
        if notice is None:
            return False
        report = await deliver(self.store.messages, self.channel, notice, self.to, None)
        await Waiting(self.runtime, self.channel, self.to, self.attempt).settle(
            report, notice.conversation_id)
        return report.outcome in (Outcome.retry, Outcome.window_closed)

    async def _takes_turn(
        self, inbound: StoredMessage,
    ) -> tuple[StoredMessage | Unread | None, bool] | None:
        """Whether this run answers its message now: None when it does not, else what the
        read that decided it already knows (the message's current reply, or ``UNREAD``;
        whether its conversation holds replies). Messages that arrive close together
        are answered once, together: a text that a newer one follows is left to the newer
        one's job (queued behind it under the conversation's lock), and the newest waits
        for ``WHATSAPP_QUIET_PERIOD_SECONDS`` of quiet before it takes every unanswered
        message before it. The webhook queues a text's job to start when that period ends;
        a job that starts earlier (the app's clock behind the database's) raises
        :class:`RetryLater` for the rest of it."""
        messages = self.store.messages
        if self.kind in _ALONE:
            return UNREAD, True
        s = self.channel.settings
        around = await messages.turn_neighbours(
            inbound.id, s.max_inbound_age_seconds + s.quiet_period_seconds)
        if around is None:
            return UNREAD, True  # gone meanwhile, or beyond the read's window: read again
        # No answer of any kind stored: no current reply either (the common case, unread).
        reply = await messages.reply_for(inbound.id) if around.answered else None
        if reply is not None:
            return reply, around.held
        if any(n.answered for n in around.newer):
            log.info("whatsapp message %s was answered with a newer one", self.message_id)
            return None
        if self.kind == "text":
            if any(_joins(n) for n in around.newer):
                return None
            left = s.quiet_period_seconds - around.elapsed_seconds
            if not around.newer and left > QUIET_SLACK_SECONDS:
                raise RetryLater(left + 0.05, None)
        self.earlier = around.earlier_unanswered
        return reply, around.held

    async def _tapped(self, inbound: StoredMessage) -> str | None:
        """A tap on one of our follow-up questions, as the model should read it: which of
        its questions the participant picked, then what the button said."""
        option = (inbound.details or {}).get("option_id")
        quoted = await self.store.messages.get(inbound.quoted_id) if inbound.quoted_id else None
        question = follow_up_question(quoted, option) if quoted is not None else None
        if question is None:
            return None
        return f"[Responde a tu pregunta: «{question}»]\n{inbound.content or ''}".strip()

    async def _language(self, inbound: StoredMessage) -> str | None:
        user = await self.store.users.get(inbound.user_id)
        return user.preferred_language if user else None

    async def _with_earlier(self, text: str) -> str:
        """The texts of the unanswered messages just before this one, then its own; they
        are marked read (the answer covers them)."""
        before: list[str] = []
        for message_id in self.earlier:
            message = await self.store.messages.get(message_id)
            if message is None or message.deleted_at is not None:
                continue
            if message.content:
                before.append(await turn_text(self.store, message))
            if message.external_id:
                try:
                    await self.channel.mark_read(message.external_id, typing=False)
                except SendFailed as exc:
                    log.info("mark-as-read failed (code %s)", exc.code)
        return "\n\n".join([*before, text]) if before else text

    async def _compose(self, inbound: StoredMessage) -> StoredMessage | None:
        """Store the reply to ``inbound``: a fixed one, or the engine's answer."""
        if self.kind == "new_conversation":
            return await self._fixed(inbound, "new_conversation")
        if self.kind == "unsupported":
            return await self._fixed(inbound, "unsupported_message")
        text = await self._tapped(inbound) or await turn_text(self.store, inbound)
        attachments: list[Attachment] = []
        if self.media is not None:
            outcome = await self._media(inbound)
            if isinstance(outcome, StoredMessage):
                return outcome
            file, transcript = outcome
            if transcript is not None:
                text = transcript
            else:
                attachments.append(Attachment(
                    file_id=file.id, file_name=file.file_name, content_type=file.file_type,
                    kind=file.kind, size=file.file_size,
                ))
        text = await self._with_earlier(text)
        turn = InboundMessage(
            user_id=inbound.user_id, conversation_id=inbound.conversation_id,
            channel=NAME, text=text, attachments=attachments,
            external_id=inbound.external_id, message_id=inbound.id,
        )
        try:
            result = await self.runtime.engine.run_turn(turn)
        except TurnRejected:
            log.info("whatsapp message %s not answered: its user or conversation is gone",
                     inbound.id)
            return None
        except UsageCapReached as exc:
            return await self._over_cap(inbound, exc)
        return result.message

    async def _over_cap(self, inbound: StoredMessage, exc: UsageCapReached) -> StoredMessage | None:
        """Over a token cap: the message stays stored, unanswered; the first one of the day
        gets a notice saying when the cap resets, later ones get nothing."""
        today = self.runtime.engine.caps.now().date()
        if not await self.store.usage.first_notice(inbound.user_id, NAME, today):
            log.info("whatsapp message %s not answered: over a %s cap", inbound.id, exc.period)
            return None
        user = await self.store.users.get(inbound.user_id)
        stored = await self.store.messages.add(NewMessage(
            conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=False,
            content=notice_text(exc, user.preferred_language if user else None), channel=NAME,
            status=DeliveryStatus.pending, reply_to_id=inbound.id,
        ))
        return stored

    async def _media(self, inbound: StoredMessage) -> StoredMessage | tuple[Any, str | None]:
        """Fetch (or reuse) the message's file; a voice note becomes its transcript.

        Returns the stored fixed reply instead when the media cannot be used.
        """
        assert self.media is not None
        file = await self.store.files.get(inbound.file_id) if inbound.file_id else None
        if file is None:
            try:
                file = await fetch_media(self.runtime, self.channel, inbound, self.media)
            except (MediaTooLargeError, FileTooLarge):
                limit = min(self.channel.settings.max_media_bytes,
                            self.runtime.settings.max_upload_bytes)
                return await self._fixed(inbound, "media_too_large", limit=megabytes(limit))
            except UnsupportedFileType:
                return await self._fixed(inbound, "media_unsupported")
            except MediaUnavailable:
                return await self._fixed(inbound, "media_unavailable")
        if file.kind is not MessageType.audio:
            return file, None
        if not self.runtime.settings.transcription_configured:
            return await self._fixed(inbound, "audio_not_understood")
        from ignacio_agents.transcription import TranscriptionError, transcribe

        try:
            transcript = (await transcribe(self.runtime, file)).strip()
        except TranscriptionError as exc:
            log.warning("voice note %s could not be transcribed: %s", file.id, exc)
            return await self._fixed(inbound, "audio_not_understood")
        if not transcript:
            return await self._fixed(inbound, "audio_not_understood")
        caption = (inbound.content or "").strip()
        await self.store.messages.set_content(inbound.id, transcript)
        return file, f"{caption}\n\n{transcript}" if caption else transcript

    async def _fixed(self, inbound: StoredMessage, name: ReplyName, **values: str) -> StoredMessage:
        user = await self.store.users.get(inbound.user_id)
        text = reply_text(name, user.preferred_language if user else None, **values)
        stored = await self.store.messages.add(NewMessage(
            conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=False,
            content=text, channel=NAME, status=DeliveryStatus.pending,
            reply_to_id=inbound.id,
        ))
        assert stored is not None
        return stored
