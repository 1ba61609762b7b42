"""WhatsApp's durable jobs: answer one stored inbound message; greet a stranger politely.

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

The only duplicate left is a part Graph accepted just before the worker died, before its wamid
was stored (see ``ignacio_agents.delivery``).

``blueprint()`` builds a fresh Blueprint per job app: procrastinate prefixes task names in place
when a blueprint is added to an app, so sharing one Blueprint object between two apps in one
process (tests, benchmarks) would rename the tasks to ``whatsapp:whatsapp:…``.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from procrastinate import Blueprint, JobContext, RetryStrategy

from channels.whatsapp.channel import NAME, WhatsAppChannel, whatsapp_of
from channels.whatsapp.client import GraphError, MediaTooLargeError, WhatsAppClient, send_with_retry
from channels.whatsapp.identity import masked, unseal
from channels.whatsapp.media import MediaUnavailable, fetch_media
from channels.whatsapp.replies import NOT_ENROLLED, ReplyName, megabytes, reply_text
from ignacio_agents.answering import answer_stored
from ignacio_agents.documents.sniff import UnsupportedFileType
from ignacio_agents.domain import Attachment, DeliveryStatus, InboundMessage, MessageType
from ignacio_agents.engine import TurnRejected
from ignacio_agents.files import FileTooLarge
from ignacio_agents.jobs import runtime_of
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import NewMessage, StoredMessage

log = logging.getLogger(__name__)

NAMESPACE = "whatsapp"
# Unexpected failures (a database hiccup) get one quick retry; the job resumes where it stopped.
_RETRY = RetryStrategy(max_attempts=2, wait=1)


def blueprint() -> Blueprint:
    """The WhatsApp tasks, on a new Blueprint (registered as ``whatsapp:<name>``)."""
    bp = Blueprint()
    bp.ignacio_namespace = NAMESPACE  # type: ignore[attr-defined]
    bp.task(name="answer_message", pass_context=True, retry=_RETRY)(answer_message)
    bp.task(name="send_not_enrolled", pass_context=True, retry=_RETRY)(send_not_enrolled)
    return bp


async def answer_message(context: JobContext, message_id: str, to: str, kind: str = "text",
                         media: dict[str, Any] | None = None) -> None:
    runtime = runtime_of(context)
    channel = whatsapp_of(runtime)
    channel.require_client()
    await Answer(runtime, channel, UUID(message_id), unseal(runtime.store.cipher, to),
                 kind, media).run()


async def send_not_enrolled(context: JobContext, to: str) -> None:
    runtime = runtime_of(context)
    client = whatsapp_of(runtime).require_client()
    recipient = unseal(runtime.store.cipher, to)
    try:
        await send_with_retry(lambda: client.send_text(recipient, NOT_ENROLLED), attempts=3,
                              base_delay=0.5, max_delay=4.0)
    except GraphError as exc:
        log.warning("not-enrolled reply to %s failed (code %s)", masked(recipient), exc.code)


class Answer:
    """One run of ``answer_message``."""

    def __init__(self, runtime: Runtime, channel: WhatsAppChannel, message_id: UUID, to: str,
                 kind: str, media: dict[str, Any] | None) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.channel = channel
        self.client: WhatsAppClient = channel.require_client()
        self.message_id = message_id
        self.to = to
        self.kind = kind
        self.media = media

    async def run(self) -> None:
        await answer_stored(self.runtime, self.channel, self.message_id, self.to, self._compose)

    async def _compose(self, inbound: StoredMessage) -> StoredMessage | None:
        """Store the reply to ``inbound``: a fixed one, or the engine's answer."""
        if self.kind == "new_conversation":
            return await self._fixed(inbound, "new_conversation")
        if self.kind == "unsupported":
            return await self._fixed(inbound, "unsupported_message")
        text = inbound.content or ""
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
        return result.message

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
