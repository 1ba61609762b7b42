"""What the webhook does with each item of a delivery, before answering Meta.

Only fast, durable bookkeeping happens here: find the sender, store their message once, queue a
job to answer it, record delivery statuses and reactions. Everything slow (media downloads, the
model, sending) happens in ``channels.whatsapp.jobs``. Meta batches up to 1,000 items in one
delivery and resends the whole delivery when its acknowledgement is late, so the plain messages
of a delivery (most of them: stored and answered, nothing else) are written together: all
senders in one query, their conversations in one, then one statement per few hundred messages
that stores them, queues their answer jobs and commits once (``MessageStore.add_many``). A
single message is three statements and one commit.

Ordering and idempotency:

* items of one sender are handled in payload order; different senders concurrently;
* a message and the job that answers it are written in one transaction, so either both exist
  or neither does (a failure answers 503 and Meta delivers again);
* the message row is the deduplication point (unique wamid): a replay stores nothing and queues
  nothing, because a stored message always has its job;
* the "not enrolled" reply's rate-limit slot and its job commit together too, so a failed
  delivery does not use up the day's one reply;
* one item that cannot be stored (a value the database refuses, a bug) is logged without its
  content and skipped, so its neighbours are still stored and answered: a statement the
  database refuses is redone message by message (a sender's messages are never split across
  two statements, so their order holds); only a database failure that is not about an item's
  content (unreachable, a job that could not be queued) fails the delivery (503, Meta delivers
  again);
* a message older than ``WHATSAPP_MAX_INBOUND_AGE_SECONDS`` is queued as ``late``: after an
  outage Meta replays up to 7 days of messages, and answering each would bury the user, so the
  answer job answers the newest of a backlog once, with one apology line, and marks the older
  ones read (they reach the model with it: ``channels.whatsapp.jobs``).

What is not a question gets no answer: items for another business number on the same Meta app
(a test number, staging beside production) are acknowledged and ignored, as are group chats
(Ignacio advises one participant at a time, and a group answer would reach everyone in it).
System notices update the participant's identity; ``request_welcome`` (someone opening the
chat) gets the welcome; a revoke hides the message it deletes (and its answer, if not sent
yet); an edit stores the new wording as a revision.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psycopg
from procrastinate.exceptions import ConnectorException

from channels.whatsapp.channel import NAME, whatsapp_of
from channels.whatsapp.client import REENGAGEMENT_CODE
from channels.whatsapp.identity import (
    Sender,
    apply_system_notice,
    identify,
    identify_all,
    masked,
    seal,
)
from channels.whatsapp.payload import (
    InboundWhatsAppMessage,
    SkippedItem,
    StatusUpdate,
    WebhookItem,
)
from channels.whatsapp.replies import welcome_text
from ignacio_agents.db import Conn
from ignacio_agents.domain import DeliveryStatus, MessageType
from ignacio_agents.jobs import job_row
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.messages import NewMessage, StoredMessage
from ignacio_agents.store.rate_limits import Limit

log = logging.getLogger(__name__)
T = TypeVar("T")

ANSWER_TASK = "whatsapp:answer_message"
NOT_ENROLLED_TASK = "whatsapp:send_not_enrolled"
ANSWER_WAITING_TASK = "whatsapp:answer_waiting"
WELCOME_TASK = "whatsapp:send_welcome"

# One polite "not enrolled" reply per number per day: enough to inform, never a conversation.
NOT_ENROLLED_BUCKET = "wa_not_enrolled"
NOT_ENROLLED_WINDOW = timedelta(hours=24)
# ``request_welcome`` comes once per new chat; a participant who clears and reopens it the same
# day is not greeted twice.
WELCOME_BUCKET = "wa_welcome"

NEW_CONVERSATION_WORDS = frozenset({"new", "nuevo", "nueva"})
_MESSAGE_TYPES = {
    "image": MessageType.image, "sticker": MessageType.image, "video": MessageType.video,
    "audio": MessageType.audio, "document": MessageType.document,
}
_TEXT_LIKE = frozenset({"text", "button", "interactive", "location", "contacts"})
_THUMBS = {"👍": 1, "👎": -1}
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")
_PARALLEL_SENDERS = 4  # below the pool size, so one big batch cannot starve other requests
# Plain messages per statement (``_store_plain``, whole senders: more for one busy sender): a
# 1,000-message delivery is about four round trips and four commits, and a refused statement
# redoes about this many one by one.
_STATEMENT_ROWS = 250
# Messages that do more than store-and-answer, handled one at a time in payload order.
_NOT_PLAIN = frozenset({"system", "reaction", "revoke", "edit", "request_welcome"})


@dataclass
class Outcome:
    """Counts for the log line of one delivery (no identifiers in it)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str) -> None:
        self.counts[what] += 1

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())) or "empty"


def _statements(lanes: list[list[T]]) -> list[list[T]]:
    """Whole senders' lanes, about ``_STATEMENT_ROWS`` messages per statement: a sender is
    never split across two, so redoing a refused one message by message keeps that sender's
    messages in payload order."""
    chunks: list[list[T]] = []
    for lane in lanes:
        if chunks and len(chunks[-1]) + len(lane) <= _STATEMENT_ROWS:
            chunks[-1].extend(lane)
        else:
            chunks.append(list(lane))
    return chunks


def is_new_conversation_command(text: str | None) -> bool:
    """``new`` / ``nuevo`` as the whole message (any case, surrounding punctuation ignored)."""
    word = re.sub(r"[\s.!¡?¿]+", "", (text or "")).lower()
    return word in NEW_CONVERSATION_WORDS


def is_stale(message: InboundWhatsAppMessage, max_age_seconds: int,
             now: datetime | None = None) -> bool:
    if message.timestamp is None:
        return False
    age = ((now or datetime.now(UTC)) - message.timestamp).total_seconds()
    return age > max_age_seconds


def stored_content(message: InboundWhatsAppMessage) -> str | None:
    """The text we keep for a message: what the user wrote, or a readable stand-in."""
    if message.type == "location" and message.location is not None:
        loc = message.location
        place = ", ".join(p for p in (loc.name, loc.address) if p)
        where = f"{loc.latitude}, {loc.longitude}"
        return f"📍 {place} ({where})" if place else f"📍 {where}"
    if message.type == "contacts":
        names = [str((c.get("name") or {}).get("formatted_name") or "")
                 for c in message.shared_contacts]
        return "👤 " + (", ".join(n for n in names if n) or "contact")
    if message.interactive is not None and message.interactive.flow_response is not None:
        return flow_text(message.interactive.flow_response)
    return message.content_text or None


def flow_text(answers: dict[str, Any]) -> str:
    """A Flow's answers as lines a person (and the model) can read: ``Label: value``."""
    lines = ["📝 Formulario / Form"]
    for key, value in answers.items():
        label = key.replace("_", " ").strip().capitalize() or key
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        lines.append(f"- {label}: {shown}")
    return "\n".join(lines)


def message_details(message: InboundWhatsAppMessage) -> dict[str, Any] | None:
    """What WhatsApp said about a message beyond its words, kept for the admin transcript."""
    details: dict[str, Any] = {}
    ctx = message.context
    if ctx is not None and ctx.forwarded:
        details["forwarded"] = True
    if ctx is not None and ctx.frequently_forwarded:
        details["frequently_forwarded"] = True
    if message.referral:
        details["referral"] = {k: v for k, v in message.referral.items()
                               if isinstance(v, str | int | float | bool)}
    if message.interactive is not None and message.interactive.flow_response is not None:
        details["flow_response"] = message.interactive.flow_response
    if message.interactive is not None and message.interactive.id:
        details["option_id"] = message.interactive.id  # which of our buttons / rows was tapped
    if message.type == "unsupported" and message.errors:
        details["error_code"] = message.errors[0].code
    return details or None


def feedback_value(emoji: str | None) -> int | None:
    """👍 -> 1, 👎 -> -1 (any skin tone); removal (None) -> None. Other emoji raise KeyError."""
    if emoji is None:
        return None
    return _THUMBS[_SKIN_TONES.sub("", emoji)]


class InboundHandler:
    """Handles the parsed items of one webhook delivery against the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        channel = whatsapp_of(runtime)
        self.settings = channel.settings
        self.writes = channel.writes

    async def handle(self, items: list[WebhookItem]) -> Outcome:
        outcome = Outcome()
        messages: list[InboundWhatsAppMessage] = []
        notices: list[InboundWhatsAppMessage] = []
        statuses: dict[str, list[StatusUpdate]] = defaultdict(list)
        ours = self.settings.phone_number_id
        for item in items:
            if (isinstance(item, InboundWhatsAppMessage | StatusUpdate) and ours is not None
                    and item.phone_number_id != ours):
                outcome.add("other_number")  # another business number on the same Meta app
            elif isinstance(item, InboundWhatsAppMessage) and item.group_id:
                outcome.add("group")
            elif isinstance(item, InboundWhatsAppMessage):
                (notices if item.type == "system" else messages).append(item)
            elif isinstance(item, StatusUpdate):
                statuses[item.wamid].append(item)
            else:
                self._skipped(item, outcome)
        # Identity first: a number change in this delivery decides who its other messages are.
        if notices:
            await self._lane([(m, None) for m in notices], outcome)
        lanes: dict[str, list[tuple[WebhookItem, Sender | None]]] = defaultdict(list)
        plain: list[list[tuple[InboundWhatsAppMessage, Sender]]] = []  # by sender
        if messages:
            senders = await identify_all(self.store, messages)
            by_sender: dict[str, list[tuple[InboundWhatsAppMessage, Sender]]] = defaultdict(list)
            for msg, sender in zip(messages, senders, strict=True):
                by_sender[msg.sender or msg.wamid].append((msg, sender))
            for key, lane in by_sender.items():
                if all(self._is_plain(m, s) for m, s in lane):
                    plain.append(lane)
                else:
                    lanes["m:" + key].extend(lane)
        work = [self._lane(lane, outcome) for lane in lanes.values()]
        if statuses:
            work.append(self._statuses([u for updates in statuses.values() for u in updates],
                                       outcome))
        if plain:
            work.append(self._store_plain(plain, outcome))
        if len(work) == 1:
            await work[0]
        elif work:
            gate = asyncio.Semaphore(_PARALLEL_SENDERS)

            async def run(step: Awaitable[None]) -> None:
                async with gate:
                    await step

            async with asyncio.TaskGroup() as group:
                for step in work:
                    group.create_task(run(step))
        return outcome

    async def _lane(self, lane: list[tuple[WebhookItem, Sender | None]],
                    outcome: Outcome) -> None:
        for item, sender in lane:
            try:
                if isinstance(item, InboundWhatsAppMessage):
                    await self._message(item, outcome, sender)
                elif isinstance(item, StatusUpdate):
                    await self._status(item, outcome)
            except psycopg.DataError as exc:  # this item's content is refused (NUL, bad encoding)
                outcome.add("failed")
                log.error("whatsapp webhook %s item refused by the database and skipped (%s)",
                          item.kind, type(exc).__name__)
            except (psycopg.Error, ConnectorException):
                # Unreachable, or a write that must not half-happen (the message without its
                # job): the whole delivery answers 503 and Meta delivers it again.
                raise
            except Exception as exc:
                # Type and kind only: the item may carry message text or phone numbers.
                outcome.add("failed")
                log.error("whatsapp webhook %s item could not be stored and was skipped (%s)",
                          item.kind, type(exc).__name__)

    # --- messages ----------------------------------------------------------------------------

    def _is_plain(self, msg: InboundWhatsAppMessage, sender: Sender) -> bool:
        """A message that is only stored and answered (most of them), which
        :meth:`_store_plain` writes together with the rest of the delivery's."""
        return (sender.enrolled and sender.reply_to is not None
                and msg.type not in _NOT_PLAIN and self._kind(msg) != "new_conversation"
                and "\x00" not in (stored_content(msg) or ""))

    async def _message(self, msg: InboundWhatsAppMessage, outcome: Outcome,
                       sender: Sender | None = None) -> None:
        if sender is None:
            sender = await identify(self.store, msg)
        if msg.type == "system":
            outcome.add(await apply_system_notice(self.store, msg, sender))
            return
        if not sender.enrolled:
            if msg.type not in ("revoke", "edit"):
                await self._not_enrolled(msg, sender, outcome)
            else:
                outcome.add("not_enrolled")
            return
        assert sender.user is not None
        if msg.type == "reaction":
            await self._reaction(msg, sender, outcome)
        elif msg.type in ("revoke", "edit"):
            await self._revision(msg, sender, outcome)
        elif msg.type == "request_welcome":
            await self._welcome(msg, sender, outcome)
        else:
            await self._store_and_answer(msg, sender, outcome)

    async def _store_plain(self, lanes: list[list[tuple[InboundWhatsAppMessage, Sender]]],
                           outcome: Outcome) -> None:
        """Store plain messages and queue their answers a few hundred per statement: each
        statement is one round trip and one commit for its messages and their jobs (both or
        neither; a replayed message stores and queues nothing). A statement the database
        refuses (a value in one message) is redone message by message, so only that message
        is lost, as when each had its own transaction."""
        refused: list[tuple[InboundWhatsAppMessage, Sender]] = []
        plain = [pair for lane in lanes for pair in lane]
        users = {s.user.id for _, s in plain if s.user is not None}
        # Read with the sender (``identify_all``) when found by phone; else read now.
        conversations = {s.user.id: s.conversation for _, s in plain
                         if s.user is not None and s.conversation is not None}
        if users - conversations.keys():
            async with self.store.db.connection() as conn:
                conversations.update(await self.store.conversations.latest_of_users(
                    list(users - conversations.keys()), NAME, conn=conn))
                for user_id in users - conversations.keys():
                    conversations[user_id] = await self.store.conversations.latest_or_create(
                        user_id, NAME, conn=conn)
        sealed: dict[str, str] = {}
        for chunk in _statements(lanes):
            news, jobs, late = [], [], []
            for msg, sender in chunk:
                assert sender.user is not None and sender.reply_to is not None
                to = sealed.get(sender.reply_to) or sealed.setdefault(
                    sender.reply_to, seal(self.store.cipher, sender.reply_to))
                stale = is_stale(msg, self.settings.max_inbound_age_seconds)
                new = await self._new_message(
                    msg, sender, conversations[sender.user.id].id, uuid4())
                news.append(new)
                late.append(stale)
                jobs.append(job_row(self.runtime.jobs, ANSWER_TASK,
                                    **self._answer_job(new, to, msg, late=stale)))
            try:
                # Together with other deliveries arriving meanwhile: one commit for all.
                ids = await self.writes.add_many(self.store.messages, news, jobs)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                raise  # the database, not a message: 503, Meta delivers again
            except Exception as exc:
                log.warning("whatsapp webhook: %d messages refused together (%s); storing"
                            " them one by one", len(chunk), type(exc).__name__)
                refused.extend(chunk)
                continue
            for stored_id, stale in zip(ids, late, strict=True):
                outcome.add("stored" if stored_id is not None else "replayed")
                if stored_id is not None and stale:
                    outcome.add("late")
                    log.info("whatsapp message %s is older than %ss: answered with an"
                             " apology", stored_id, self.settings.max_inbound_age_seconds)
        if refused:
            await self._lane([(m, s) for m, s in refused], outcome)

    async def _new_message(self, msg: InboundWhatsAppMessage, sender: Sender,
                           conversation_id: UUID, message_id: UUID | None = None, *,
                           conn: Conn | None = None) -> NewMessage:
        assert sender.user is not None
        quoted_id, details = await self._quote(msg, sender.user.id, message_details(msg),
                                               conn=conn)
        return NewMessage(
            id=message_id, conversation_id=conversation_id, user_id=sender.user.id,
            is_from_user=True, content=stored_content(msg), channel=NAME,
            message_type=_MESSAGE_TYPES.get(msg.type, MessageType.text),
            external_id=msg.wamid, source_type=msg.original_type or msg.type,
            details=details, quoted_id=quoted_id,
        )

    async def _store_and_answer(self, msg: InboundWhatsAppMessage, sender: Sender,
                                outcome: Outcome) -> None:
        assert sender.user is not None
        user = sender.user
        kind = self._kind(msg)
        stale = is_stale(msg, self.settings.max_inbound_age_seconds)
        async with self.store.db.transaction() as tx:
            conversation = await self.store.conversations.latest_or_create(
                user.id, NAME, conn=tx)
            stored = await self.store.messages.add(
                await self._new_message(msg, sender, conversation.id, conn=tx), conn=tx)
            if stored is None:
                outcome.add("replayed")
                return
            if kind == "new_conversation":
                await self.store.conversations.start_new(user.id, NAME, conn=tx)
            await self._defer_answer(stored, sender, msg, tx, late=stale)
        outcome.add("stored")
        if stale:
            outcome.add("late")
            log.info("whatsapp message %s is older than %ss: answered with an apology",
                     stored.id, self.settings.max_inbound_age_seconds)

    async def _quote(self, msg: InboundWhatsAppMessage, user_id: Any,
                     details: dict[str, Any] | None, *,
                     conn: Conn | None = None) -> tuple[Any, dict[str, Any] | None]:
        """The stored message a reply quotes (``context.id``), if it is this participant's
        conversation; an unknown one is flagged so the turn can say a message was quoted."""
        quoted = msg.context.id if msg.context is not None else None
        if not quoted:
            return None, details
        target = await self.store.messages.get_by_external_id(quoted, conn=conn)
        if target is not None and target.user_id == user_id:
            return target.id, details
        return None, {**(details or {}), "quotes_unknown": True}

    def _kind(self, msg: InboundWhatsAppMessage) -> str:
        if msg.type == "text" and is_new_conversation_command(msg.text):
            return "new_conversation"
        if msg.media is not None:
            return msg.media.kind
        if msg.type in _TEXT_LIKE:
            return "text"
        return "unsupported"

    def _answer_job(self, new: NewMessage | StoredMessage, to: str,
                    msg: InboundWhatsAppMessage, *, late: bool) -> dict[str, Any]:
        """The answer job's options and arguments, as both writers queue it."""
        media: dict[str, Any] | None = None
        if msg.media is not None:
            media = msg.media.model_dump(include={"kind", "id", "mime_type", "sha256",
                                                  "filename", "voice"})
        kind = self._kind(msg)
        # A text waits for the quiet period before it is answered (``Answer._takes_turn``):
        # queued to start when that ends, its job runs once instead of starting at once only
        # to be retried when the period is over.
        quiet = self.settings.quiet_period_seconds
        wait = {"seconds": quiet} if kind == "text" and not late and quiet > 0 else None
        return {"lock": f"conv:{new.conversation_id}", "queueing_lock": f"answer:{new.id}",
                "schedule_in": wait, "message_id": str(new.id), "to": to, "kind": kind,
                "media": media, "late": late}

    async def _defer_answer(self, stored: StoredMessage, sender: Sender,
                            msg: InboundWhatsAppMessage, tx: Conn, *, late: bool = False) -> None:
        """Queue the answer job in the transaction that stores the message: both or neither."""
        assert sender.reply_to is not None
        job = self._answer_job(stored, seal(self.store.cipher, sender.reply_to), msg, late=late)
        lock, queueing_lock = job.pop("lock"), job.pop("queueing_lock")
        await self.runtime.jobs.configure_task(
            ANSWER_TASK, lock=lock, queueing_lock=queueing_lock,
            schedule_in=job.pop("schedule_in"), connection=tx,
        ).defer_async(**job)

    async def _not_enrolled(self, msg: InboundWhatsAppMessage, sender: Sender,
                            outcome: Outcome) -> None:
        outcome.add("not_enrolled")
        if msg.type == "reaction" or sender.reply_to is None or sender.key is None:
            return
        if is_stale(msg, self.settings.max_inbound_age_seconds):
            return
        async with self.store.db.transaction() as tx:
            decision = await self.store.rate_limits.hit(
                [Limit(NOT_ENROLLED_BUCKET, sender.key, max_events=1)], NOT_ENROLLED_WINDOW,
                conn=tx,
            )
            if not decision.allowed:
                return
            await self.runtime.jobs.configure_task(NOT_ENROLLED_TASK, connection=tx).defer_async(
                to=seal(self.store.cipher, sender.reply_to),
            )
        log.info("whatsapp message from a number that is not enrolled (%s): polite reply queued",
                 masked(sender.reply_to))

    async def _revision(self, msg: InboundWhatsAppMessage, sender: Sender,
                        outcome: Outcome) -> None:
        """A revoke hides the participant's message; an edit stores its new wording."""
        assert msg.revision is not None and sender.user is not None
        target = await self.store.messages.get_by_external_id(msg.revision.original_id)
        if target is None or not target.is_from_user or target.user_id != sender.user.id:
            outcome.add("revision_unknown")
            return
        if msg.revision.text is None:
            await self.store.messages.mark_deleted(target.id)
            outcome.add("revoked")
        elif msg.revision.text != (target.content or ""):
            await self.store.messages.revise(target.id, msg.revision.text)
            outcome.add("edited")
        else:
            outcome.add("replayed")

    async def _welcome(self, msg: InboundWhatsAppMessage, sender: Sender,
                       outcome: Outcome) -> None:
        """Greet a participant who opened the chat: stored as Ignacio's message, then sent."""
        assert sender.user is not None and sender.reply_to is not None
        if is_stale(msg, self.settings.max_inbound_age_seconds):
            outcome.add("stale")
            return
        user = sender.user
        async with self.store.db.transaction() as tx:
            decision = await self.store.rate_limits.hit(
                [Limit(WELCOME_BUCKET, str(user.id), max_events=1)], NOT_ENROLLED_WINDOW,
                conn=tx,
            )
            if not decision.allowed:
                outcome.add("welcome_repeated")
                return
            conversation = await self.store.conversations.latest_or_create(
                user.id, NAME, conn=tx)
            welcome = await self.store.messages.add(NewMessage(
                conversation_id=conversation.id, user_id=user.id, is_from_user=False,
                content=welcome_text(user.name, user.preferred_language), channel=NAME,
                status=DeliveryStatus.pending, source_type="welcome",
            ), conn=tx)
            assert welcome is not None
            await self.runtime.jobs.configure_task(
                WELCOME_TASK, lock=f"conv:{conversation.id}", connection=tx,
            ).defer_async(message_id=str(welcome.id), to=seal(self.store.cipher, sender.reply_to))
        outcome.add("welcome")

    async def _reaction(self, msg: InboundWhatsAppMessage, sender: Sender,
                        outcome: Outcome) -> None:
        assert msg.reaction is not None and sender.user is not None
        try:
            value = feedback_value(msg.reaction.emoji)
        except KeyError:
            outcome.add("reaction_ignored")
            return
        target = await self.store.messages.get_by_external_id(msg.reaction.message_id)
        if target is None or target.is_from_user or target.user_id != sender.user.id:
            outcome.add("reaction_ignored")
            return
        await self.store.messages.set_feedback(target.id, value, user_id=sender.user.id)
        outcome.add("feedback")

    # --- statuses and the rest ---------------------------------------------------------------

    async def _statuses(self, statuses: list[StatusUpdate], outcome: Outcome) -> None:
        """Every status of the delivery in one transaction (``MessageStore.apply_statuses``:
        one round trip), with the template job of a reply refused for the 24 h window; one the
        database refuses has all of them redone one by one, so only that one is skipped."""
        known = [s for s in statuses if s.delivery_status is not None]
        for _ in range(len(statuses) - len(known)):
            outcome.add("status_ignored")
        updates = [(s.wamid, s.delivery_status, str(s.error_code) if s.error_code is not None
                    else None) for s in known if s.delivery_status is not None]
        if not updates:
            return
        waiting = [s for s in known if s.error_code == REENGAGEMENT_CODE and s.recipient_id]
        try:
            if not waiting:  # its own transaction, pipelined: one round trip
                found = await self.store.messages.apply_statuses(updates)
            else:
                async with self.store.db.transaction() as tx:
                    found = await self.store.messages.apply_statuses(updates, conn=tx)
                    for status in waiting:  # accepted, then refused for the 24 h window
                        reply = found[status.wamid]
                        if reply is None or status.recipient_id is None:
                            continue
                        # Hold it and send the template, under the conversation's lock: in
                        # order with its answers, never twice.
                        await self.runtime.jobs.configure_task(
                            ANSWER_WAITING_TASK, lock=f"conv:{reply[1]}", connection=tx,
                        ).defer_async(message_id=str(reply[0]), code=str(status.error_code),
                                      to=seal(self.store.cipher, status.recipient_id))
        except psycopg.DataError:
            await self._lane([(s, None) for s in known], outcome)
            return
        for status in known:
            outcome.add("status" if found[status.wamid] else "status_unknown")

    async def _status(self, status: StatusUpdate, outcome: Outcome) -> None:
        value = status.delivery_status
        if value is None:
            outcome.add("status_ignored")
            return
        code = status.error_code
        async with self.store.db.transaction() as tx:
            found = await self.store.messages.apply_status(
                status.wamid, value, str(code) if code is not None else None, conn=tx,
            )
            reply = await self.store.messages.get(found, conn=tx) if (
                found and code == REENGAGEMENT_CODE and status.recipient_id) else None
            if reply is not None and status.recipient_id:
                # Accepted, then refused for the 24 h window: hold it and send the template
                # (under the conversation's lock: in order with its answers, never twice).
                await self.runtime.jobs.configure_task(
                    ANSWER_WAITING_TASK, lock=f"conv:{reply.conversation_id}", connection=tx,
                ).defer_async(message_id=str(found), code=str(code),
                              to=seal(self.store.cipher, status.recipient_id))
        outcome.add("status" if found else "status_unknown")

    @staticmethod
    def _skipped(item: SkippedItem, outcome: Outcome) -> None:
        outcome.add("skipped")
        log.info("whatsapp webhook item skipped (%s: %s)", item.source, item.reason)
