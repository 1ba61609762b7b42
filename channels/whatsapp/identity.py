"""Who wrote: a WhatsApp sender mapped to an enrolled user, and recipients sealed for job args.

Users are enrolled by phone number (E.164, stored encrypted, found through its blind index).
WhatsApp identifies senders by ``wa_id`` (digits, no ``+``) which usually *is* the number, with
two well-known exceptions (reference §9.5): Mexican numbers arrive with the legacy mobile ``1``
(``521…`` for ``+52…``) and some Brazilian mobiles without their ninth digit. Both forms are
tried. Senders who hide their number behind a username (2026) carry only a BSUID, which we keep
on the user the first time we see it next to their number.

Meta's system notices keep that mapping true: a number change (``user_changed_number``) moves the
participant to the new number, so their next message is still theirs, in the same
conversation; a new BSUID (``user_changed_user_id``, and on a number change) replaces the old
one. Each change is audited as a system action, without the numbers themselves.

Recipients travel to jobs *sealed* (AES-GCM with the phone key) because procrastinate stores job
arguments in a table and logs them when a job starts: a phone number must be neither.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass

from psycopg.errors import UniqueViolation

from channels.whatsapp.channel import NAME
from channels.whatsapp.client import mask_recipient
from channels.whatsapp.payload import InboundWhatsAppMessage, SystemNotice
from ignacio_agents.crypto import InvalidPhoneNumber, PhoneCipher, normalize_phone
from ignacio_agents.db import Conn
from ignacio_agents.store import Store
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.users import PhoneAlreadyEnrolled, StoredUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    """A message's author as far as we can tell; ``user`` is None for unknown senders."""

    user: StoredUser | None
    reply_to: str | None  # what to send the answer to: the wa_id exactly as received, or the BSUID
    key: str | None  # a stable identity for rate limits: E.164 when known, else the raw id
    # their newest WhatsApp conversation when it was read with them (found by phone), else None
    conversation: Conversation | None = None

    @property
    def enrolled(self) -> bool:
        return self.user is not None and self.user.is_active


def phone_candidates(wa_id: str) -> list[str]:
    """E.164 forms a ``wa_id`` may be enrolled under, most likely first."""
    digits = re.sub(r"\D", "", wa_id)
    if not digits:
        return []
    raw = ["+" + digits]
    if digits.startswith("521") and len(digits) == 13:
        raw.append("+52" + digits[3:])  # Mexico: WhatsApp keeps the pre-2019 mobile "1"
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        raw.append("+55" + digits[2:4] + "9" + digits[4:])  # Brazil: mobile missing its 9
    out: list[str] = []
    for candidate in raw:
        try:
            e164 = normalize_phone(candidate)
        except InvalidPhoneNumber:
            continue
        if e164 not in out:
            out.append(e164)
    return out


async def identify(store: Store, message: InboundWhatsAppMessage) -> Sender:
    """Find the enrolled user who sent ``message`` (by phone first, then by BSUID)."""
    [sender] = await identify_all(store, [message])
    return sender


async def identify_all(store: Store, messages: list[InboundWhatsAppMessage], *,
                       conn: Conn | None = None) -> list[Sender]:
    """:func:`identify` for every message of a delivery, in one query whatever their number
    (by phone, with the BSUID kept for each and their newest conversation), plus one for the
    BSUIDs of senders not found by phone: a 1,000-message delivery must not cost 1,000
    lookups, and a single message pays one round trip before it is stored."""
    candidates = [phone_candidates(m.wa_id) if m.wa_id else [] for m in messages]
    by_phone = await store.users.on_channel_by_phones(
        [e for c in candidates for e in c], NAME, conn=conn)
    found: list[tuple[StoredUser | None, str | None, Conversation | None]] = []
    for message, options in zip(messages, candidates, strict=True):
        match = next((by_phone[e] for e in options if e in by_phone), None)
        key = next((e for e in options if e in by_phone), None) if match is not None else (
            options[0] if options else message.wa_id)
        found.append((match.user, key, match.conversation) if match is not None
                     else (None, key, None))
    unknown = [m.user_id for m, (user, _, _) in zip(messages, found, strict=True)
               if user is None and m.user_id]
    by_bsuid = await store.users.get_by_channel_identities(NAME, unknown, conn=conn)
    kept = {c.user.id: c.identity for c in by_phone.values()}
    kept_for = {u.id: (u, m.user_id) for m, (u, _, _) in zip(messages, found, strict=True)
                if u is not None and m.user_id}
    for user_id, (owner, bsuid) in kept_for.items():
        if kept.get(user_id) != bsuid:
            await _keep_bsuid(store, owner, bsuid)
    senders = []
    for message, (user, key, conversation) in zip(messages, found, strict=True):
        if user is None and message.user_id:
            user = by_bsuid.get(message.user_id)
            key = key or message.user_id
        senders.append(Sender(user=user, reply_to=message.wa_id or message.user_id, key=key,
                              conversation=conversation))
    return senders


async def _keep_bsuid(store: Store, user: StoredUser, bsuid: str) -> None:
    """Remember the user's BSUID, so they are still found once their number is hidden."""
    try:
        await store.users.set_channel_identity(user.id, NAME, bsuid)
    except UniqueViolation:
        # Another user holds it (a number that changed hands): keep theirs, log, carry on.
        log.warning("BSUID already belongs to another user; not moved to user %s", user.id)


async def apply_system_notice(store: Store, message: InboundWhatsAppMessage,
                              sender: Sender) -> str:
    """Update what a system notice names; returns what happened (for the delivery's log line).

    Nothing is ever sent for a notice: it is Meta talking, not the participant.
    """
    notice = message.system or SystemNotice()
    user = sender.user
    if user is None and notice.previous_user_id:
        user = await store.users.get_by_channel_identity(NAME, notice.previous_user_id)
    if user is None:
        return "system_unknown_sender"
    if notice.type == "user_changed_number":
        return await _change_number(store, user, notice)
    if notice.type == "user_changed_user_id" and notice.user_id:
        await _replace_bsuid(store, user, notice.user_id, notice.type)
        return "identity_changed"
    if notice.type == "customer_identity_changed":
        await _audit(store, user, "user.identity_key_change", notice.type)
        return "identity_changed"
    return "system_ignored"


async def _change_number(store: Store, user: StoredUser, notice: SystemNotice) -> str:
    candidates = phone_candidates(notice.wa_id or "")
    if not candidates:
        log.warning("number change for user %s without a usable new number; ignored", user.id)
        return "system_ignored"
    new = candidates[0]
    if new != user.phone_number:
        try:
            async with store.db.transaction() as tx:
                await store.users.change_phone(user.id, new, conn=tx)
                await _audit(store, user, "user.phone_change", notice.type, conn=tx)
        except PhoneAlreadyEnrolled:
            # Someone else is enrolled with it: an admin must decide who the number is.
            log.warning("number change for user %s refused: the new number is enrolled", user.id)
            await _audit(store, user, "user.phone_change_refused", notice.type)
            return "number_change_refused"
    if notice.user_id:  # Meta regenerates the BSUID with the number
        await _replace_bsuid(store, user, notice.user_id, notice.type)
    return "number_changed"


async def _replace_bsuid(store: Store, user: StoredUser, bsuid: str, notice: str | None) -> None:
    if await store.users.channel_identity(user.id, NAME) == bsuid:
        return
    try:
        async with store.db.transaction() as tx:
            await store.users.set_channel_identity(user.id, NAME, bsuid, conn=tx)
            await _audit(store, user, "user.channel_identity_change", notice, conn=tx)
    except UniqueViolation:
        log.warning("new BSUID already belongs to another user; not moved to user %s", user.id)


async def _audit(store: Store, user: StoredUser, action: str, notice: str | None,
                 conn: Conn | None = None) -> None:
    """A system action (no actor) naming the notice, never the numbers or ids it carried."""
    await store.audit.record(
        actor_id=None, action=action, target_type="user", target_id=user.id,
        details={"by": "system", "channel": NAME, "notice": notice or "unknown"},
        conn=conn,
    )


def seal(cipher: PhoneCipher, recipient: str) -> str:
    """An opaque, encrypted form of a recipient, safe in job arguments and logs."""
    return base64.urlsafe_b64encode(cipher.encrypt(recipient)).decode()


def unseal(cipher: PhoneCipher, sealed: str) -> str:
    return cipher.decrypt(base64.urlsafe_b64decode(sealed.encode()))


def masked(recipient: str | None) -> str:
    return mask_recipient(recipient) if recipient else "unknown"
