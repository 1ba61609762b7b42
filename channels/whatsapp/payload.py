"""Webhook payloads: tolerant models and a flattener for batched deliveries.

Meta batches up to 1000 updates per POST and keeps changing the shape (BSUIDs in 2026 made
``from``/``wa_id`` optional), so parsing is deliberately forgiving:

* the envelope must be a WhatsApp envelope (``object`` + ``entry`` list), otherwise
  :class:`NotAWebhookPayload` is raised, which the webhook route turns into a 400; so is a
  body nested deeper than any real delivery (``MAX_DEPTH``);
* text Postgres cannot store is cleaned right after decoding: NUL characters are dropped and
  lone UTF-16 surrogates (valid JSON escapes, invalid UTF-8) become U+FFFD, so one odd
  message can never fail the transaction of its own or any other item;
* inside it, every entry × change × message / status is visited; each item is validated on its
  own, so one odd item never hides its neighbours;
* an unknown or malformed message type becomes an item of type ``"unsupported"`` (its original
  type kept) instead of an exception; an item with no id at all (nothing to deduplicate on)
  becomes a :class:`SkippedItem` so the caller can log it.

Every model keeps unknown fields (``extra="allow"``) and every item keeps its raw dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ignacio_agents.domain import DeliveryStatus


class NotAWebhookPayload(ValueError):
    """The body is not JSON, or not a WhatsApp Business Account webhook envelope."""


# Real deliveries nest about eight levels (entry > changes > value > messages > interactive >
# nfm_reply ...); anything far deeper is not from Meta and is refused before validation.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> str:
    """``text`` without NUL and with lone surrogates replaced: what Postgres ``text`` accepts."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


def sanitize(data: Any) -> Any:
    """Clean every string (keys included) of decoded JSON in place; refuse deep nesting.

    Iterative, so a hostile body cannot exhaust the stack; raises :class:`NotAWebhookPayload`
    past ``MAX_DEPTH``.
    """
    if isinstance(data, str):
        return _storable(data)
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise NotAWebhookPayload(f"body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(value, str):
                    value = node[key] = _storable(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
                if isinstance(key, str) and (clean := _storable(key)) != key:
                    node[clean] = node.pop(key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = _storable(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1))
    return data


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


# --- envelope ------------------------------------------------------------------------------


class Profile(_Tolerant):
    name: str | None = None
    username: str | None = None


class WebhookContact(_Tolerant):
    wa_id: str | None = None
    user_id: str | None = None  # BSUID, e.g. "US.13491208655302741918"
    profile: Profile | None = None


class WebhookMetadata(_Tolerant):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class ChangeValue(_Tolerant):
    """``entry[].changes[].value``. Items stay raw here and are validated one by one."""

    messaging_product: str | None = None
    metadata: WebhookMetadata | None = None
    contacts: list[Any] = Field(default_factory=list)
    messages: list[Any] = Field(default_factory=list)
    statuses: list[Any] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)


class WebhookChange(_Tolerant):
    field: str | None = None
    value: ChangeValue | None = None


class WebhookEntry(_Tolerant):
    id: str | None = None
    changes: list[WebhookChange] = Field(default_factory=list)


class WebhookEnvelope(_Tolerant):
    object: str
    entry: list[WebhookEntry]


# --- raw items (as Meta sends them) ----------------------------------------------------------


class WebhookErrorInfo(_Tolerant):
    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: dict[str, Any] | None = None

    @property
    def details(self) -> str | None:
        value = (self.error_data or {}).get("details")
        return value if isinstance(value, str) else None


class _Text(_Tolerant):
    body: str | None = None


class _Media(_Tolerant):
    id: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None
    url: str | None = None


class _Reaction(_Tolerant):
    message_id: str | None = None
    emoji: str | None = None


class _Context(_Tolerant):
    id: str | None = None
    from_: str | None = Field(default=None, alias="from")
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None


class _Button(_Tolerant):
    text: str | None = None
    payload: str | None = None


class _Reply(_Tolerant):
    id: str | None = None
    title: str | None = None
    description: str | None = None


class _Interactive(_Tolerant):
    type: str | None = None
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None
    nfm_reply: dict[str, Any] | None = None


class _System(_Tolerant):
    type: str | None = None
    body: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    previous_user_id: str | None = None
    customer: str | None = None


class _Original(_Tolerant):
    """``revoke`` / ``edit``: which earlier message it changes (and, for an edit, how)."""

    original_message_id: str | None = None
    message: dict[str, Any] | None = None


class _Location(_Tolerant):
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class _RawMessage(_Tolerant):
    id: str
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    timestamp: str | None = None
    type: str | None = None
    text: _Text | None = None
    image: _Media | None = None
    video: _Media | None = None
    audio: _Media | None = None
    document: _Media | None = None
    sticker: _Media | None = None
    reaction: _Reaction | None = None
    context: _Context | None = None
    button: _Button | None = None
    interactive: _Interactive | None = None
    location: _Location | None = None
    contacts: list[dict[str, Any]] | None = None
    system: _System | None = None
    revoke: _Original | None = None
    edit: _Original | None = None
    referral: dict[str, Any] | None = None
    group_id: str | None = None
    errors: list[WebhookErrorInfo] = Field(default_factory=list)


class _RawStatus(_Tolerant):
    id: str
    status: str | None = None
    timestamp: str | None = None
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    biz_opaque_callback_data: str | None = None
    errors: list[WebhookErrorInfo] = Field(default_factory=list)
    pricing: dict[str, Any] | None = None


# --- flat items (what the application consumes) ----------------------------------------------

MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
# Events about the chat rather than words in it: answered (or not) by their own rules.
EVENT_TYPES = frozenset({"system", "request_welcome", "revoke", "edit"})
SUPPORTED_TYPES = MEDIA_TYPES | EVENT_TYPES | {
    "text", "reaction", "button", "interactive", "location", "contacts",
}


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True)


class MediaRef(_Item):
    """A media object of an inbound message; fetch bytes with ``GET /{id}`` (ids live 7 days)."""

    kind: str  # image | video | audio | document | sticker
    id: str
    mime_type: str | None = None
    sha256: str | None = None
    filename: str | None = None
    voice: bool = False  # a recorded voice note (audio only)
    animated: bool = False  # sticker only
    url: str | None = None  # only in newer webhook versions; never rely on it


class Reaction(_Item):
    message_id: str
    emoji: str | None = None  # None: the user removed their reaction


class ReplyContext(_Item):
    id: str | None = None  # the wamid the user replied to
    from_: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False


class ButtonReply(_Item):
    """A quick-reply button tapped on one of our templates."""

    text: str | None = None
    payload: str | None = None


class InteractiveReply(_Item):
    """A reply to one of our interactive messages (button_reply, list_reply, nfm_reply)."""

    type: str | None = None
    id: str | None = None
    title: str | None = None
    description: str | None = None
    flow_response: dict[str, Any] | None = None  # nfm_reply.response_json, decoded


class SystemNotice(_Item):
    """Meta telling us something changed about the sender (never words they wrote).

    ``user_changed_number``: ``wa_id`` is the new number (``from`` the old one);
    ``user_changed_user_id``: ``user_id`` is the new BSUID; ``customer_identity_changed``:
    their identity key changed (a reinstall or a new phone). ``body`` names numbers: never log it.
    """

    type: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    previous_user_id: str | None = None


class Revision(_Item):
    """A revoke (``text`` None) or an edit of the earlier message ``original_id``."""

    original_id: str
    text: str | None = None


class Location(_Item):
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ItemError(_Item):
    code: int | None = None
    title: str | None = None
    details: str | None = None


class InboundWhatsAppMessage(_Item):
    """One user message, whatever its type, with the sender's identifiers merged in."""

    kind: Literal["message"] = "message"
    wamid: str
    type: str  # one of SUPPORTED_TYPES, or "unsupported"
    original_type: str | None = None  # what Meta sent, e.g. "poll_creation", "system"
    wa_id: str | None = None  # phone-based id; absent for username users (BSUID rollout)
    user_id: str | None = None  # BSUID when present
    username: str | None = None
    profile_name: str | None = None
    timestamp: datetime | None = None  # UTC
    text: str | None = None
    caption: str | None = None
    media: MediaRef | None = None
    reaction: Reaction | None = None
    context: ReplyContext | None = None
    button: ButtonReply | None = None
    interactive: InteractiveReply | None = None
    location: Location | None = None
    shared_contacts: list[dict[str, Any]] = Field(default_factory=list)
    system: SystemNotice | None = None
    revision: Revision | None = None  # revoke / edit
    referral: dict[str, Any] | None = None  # click-to-WhatsApp ad or post that led here
    group_id: str | None = None  # set when it was written in a group chat
    errors: list[ItemError] = Field(default_factory=list)
    phone_number_id: str | None = None  # our business number that received it
    display_phone_number: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def sender(self) -> str | None:
        """The identifier to reply to: the phone-based ``wa_id`` first, else the BSUID."""
        return self.wa_id or self.user_id

    @property
    def content_text(self) -> str:
        """The words the user sent, whatever carried them (text, caption, button, reply)."""
        if self.text:
            return self.text
        if self.caption:
            return self.caption
        if self.button and (self.button.text or self.button.payload):
            return self.button.text or self.button.payload or ""
        if self.interactive and self.interactive.title:
            return self.interactive.title
        return ""


class StatusUpdate(_Item):
    """A delivery status for one of *our* outbound messages."""

    kind: Literal["status"] = "status"
    wamid: str
    status: str  # sent | delivered | read | failed | played | anything newer
    timestamp: datetime | None = None
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    biz_opaque_callback_data: str | None = None
    errors: list[ItemError] = Field(default_factory=list)
    pricing: dict[str, Any] | None = None
    phone_number_id: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def delivery_status(self) -> DeliveryStatus | None:
        """Our stored status; ``played`` (a voice note heard) counts as read; unknown -> None."""
        if self.status == "played":
            return DeliveryStatus.read
        try:
            return DeliveryStatus(self.status)
        except ValueError:
            return None

    @property
    def error_code(self) -> int | None:
        return self.errors[0].code if self.errors else None


class SkippedItem(_Item):
    """Something in the batch we could not or chose not to turn into an item; log it."""

    kind: Literal["skipped"] = "skipped"
    source: Literal["message", "status", "change", "value_error"]
    reason: str
    field: str | None = None
    raw: Any = None


WebhookItem = InboundWhatsAppMessage | StatusUpdate | SkippedItem


# --- parsing -----------------------------------------------------------------------------------


def parse_webhook(body: bytes | str | dict[str, Any]) -> WebhookEnvelope:
    """Parse a raw webhook body into the envelope, or raise :class:`NotAWebhookPayload`.

    CPU-bound for large batches (bodies reach 3 MB): call it via ``asyncio.to_thread``.
    """
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotAWebhookPayload("body is not valid JSON") from exc
        except RecursionError as exc:
            raise NotAWebhookPayload(f"body is nested deeper than {MAX_DEPTH} levels") from exc
    else:
        data = body
    data = sanitize(data)
    if not isinstance(data, dict):
        raise NotAWebhookPayload("body is not a JSON object")
    if data.get("object") != "whatsapp_business_account":
        raise NotAWebhookPayload("not a whatsapp_business_account webhook")
    try:
        return WebhookEnvelope.model_validate(data)
    except ValidationError as exc:
        raise NotAWebhookPayload(f"unexpected webhook shape: {exc.error_count()} error(s)") from exc


def iter_webhook_items(envelope: WebhookEnvelope) -> Iterator[WebhookItem]:
    """Every message and status of every entry and change, in payload order."""
    for entry in envelope.entry:
        for change in entry.changes:
            value = change.value
            if change.field != "messages" or value is None:
                yield SkippedItem(
                    source="change", field=change.field,
                    reason="not a messages change" if value is not None else "no value",
                    raw=change.model_dump(mode="json", by_alias=True),
                )
                continue
            yield from _iter_value(value)


def parse_webhook_items(body: bytes | str | dict[str, Any]) -> list[WebhookItem]:
    """``parse_webhook`` + ``iter_webhook_items`` in one call."""
    return list(iter_webhook_items(parse_webhook(body)))


def _iter_value(value: ChangeValue) -> Iterator[WebhookItem]:
    metadata = value.metadata or WebhookMetadata()
    contacts = [c for c in (_contact(raw) for raw in value.contacts) if c is not None]
    for error in value.errors:
        yield SkippedItem(source="value_error", reason="value-level error", raw=error)
    for index, raw in enumerate(value.messages):
        yield _message_item(raw, index, len(value.messages), contacts, metadata)
    for raw in value.statuses:
        yield _status_item(raw, metadata)


def _contact(raw: Any) -> WebhookContact | None:
    try:
        return WebhookContact.model_validate(raw)
    except ValidationError:
        return None


def _timestamp(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC) if value is not None else None
    except (ValueError, OverflowError, OSError):
        return None


def _errors(errors: list[WebhookErrorInfo]) -> list[ItemError]:
    return [ItemError(code=e.code, title=e.title or e.message, details=e.details) for e in errors]


def _match_contact(
    msg: _RawMessage, index: int, count: int, contacts: list[WebhookContact]
) -> WebhookContact | None:
    """The ``contacts[]`` entry describing this message's sender, if one can be told apart."""
    for contact in contacts:
        if msg.from_ and contact.wa_id == msg.from_:
            return contact
        if msg.from_user_id and contact.user_id == msg.from_user_id:
            return contact
    if msg.from_ or msg.from_user_id:
        # No id matched: only a lone contact without a phone id can still be this sender.
        lone = contacts[0] if len(contacts) == 1 else None
        return lone if lone is not None and lone.wa_id is None else None
    if len(contacts) == 1:
        return contacts[0]
    if len(contacts) == count:
        return contacts[index]
    return None


def _message_item(
    raw: Any, index: int, count: int, contacts: list[WebhookContact], metadata: WebhookMetadata
) -> WebhookItem:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return SkippedItem(source="message", reason="message without an id", raw=raw)
    common: dict[str, Any] = {
        "wamid": raw["id"],
        "phone_number_id": metadata.phone_number_id,
        "display_phone_number": metadata.display_phone_number,
        "raw": raw,
    }
    try:
        msg = _RawMessage.model_validate(raw)
    except ValidationError:
        # A known type with an unexpected shape: keep what identifies the sender.
        sender = raw.get("from")
        return InboundWhatsAppMessage(
            type="unsupported", original_type=_str_or_none(raw.get("type")),
            wa_id=_str_or_none(sender),
            timestamp=_timestamp(_str_or_none(raw.get("timestamp"))), **common,
        )
    contact = _match_contact(msg, index, count, contacts)
    profile = contact.profile if contact and contact.profile else Profile()
    common.update(
        wa_id=msg.from_ or (contact.wa_id if contact else None),
        user_id=msg.from_user_id or (contact.user_id if contact else None),
        username=profile.username,
        profile_name=profile.name,
        timestamp=_timestamp(msg.timestamp),
        errors=_errors(msg.errors),
        context=_context(msg.context),
        referral=msg.referral or None,
        group_id=msg.group_id or None,
    )
    fields = _type_fields(msg)
    if fields is None:
        return InboundWhatsAppMessage(type="unsupported", original_type=msg.type, **common)
    return InboundWhatsAppMessage(type=msg.type, original_type=msg.type, **common, **fields)


def _context(ctx: _Context | None) -> ReplyContext | None:
    if ctx is None:
        return None
    return ReplyContext(
        id=ctx.id, from_=ctx.from_, forwarded=bool(ctx.forwarded),
        frequently_forwarded=bool(ctx.frequently_forwarded),
    )


def _type_fields(msg: _RawMessage) -> dict[str, Any] | None:
    """The typed fields for a supported type, or None when it must be 'unsupported'."""
    kind = msg.type
    if kind == "text":
        return {"text": msg.text.body if msg.text else None}
    if kind in MEDIA_TYPES:
        media: _Media | None = getattr(msg, kind)
        if media is None or not media.id:
            return None
        return {
            "caption": media.caption,
            "media": MediaRef(
                kind=kind, id=media.id, mime_type=media.mime_type, sha256=media.sha256,
                filename=media.filename, voice=bool(media.voice), animated=bool(media.animated),
                url=media.url,
            ),
        }
    if kind == "reaction":
        if msg.reaction is None or not msg.reaction.message_id:
            return None
        return {"reaction": Reaction(message_id=msg.reaction.message_id,
                                     emoji=msg.reaction.emoji or None)}
    if kind == "button":
        if msg.button is None:
            return None
        return {"button": ButtonReply(text=msg.button.text, payload=msg.button.payload)}
    if kind == "interactive":
        return _interactive_fields(msg.interactive)
    if kind in EVENT_TYPES:
        return _event_fields(msg)
    if kind == "location":
        loc = msg.location
        if loc is None:
            return None
        return {"location": Location(latitude=loc.latitude, longitude=loc.longitude,
                                     name=loc.name, address=loc.address, url=loc.url)}
    if kind == "contacts":
        return {"shared_contacts": msg.contacts or []}
    return None


def _interactive_fields(inter: _Interactive | None) -> dict[str, Any] | None:
    if inter is None:
        return None
    if inter.type == "nfm_reply" or inter.nfm_reply is not None:
        answers = flow_answers((inter.nfm_reply or {}).get("response_json"))
        if answers is None:
            return None
        return {"interactive": InteractiveReply(type="nfm_reply", flow_response=answers)}
    reply = inter.button_reply or inter.list_reply
    if reply is None:
        return None
    return {"interactive": InteractiveReply(
        type=inter.type, id=reply.id, title=reply.title, description=reply.description,
    )}


def flow_answers(response_json: Any) -> dict[str, Any] | None:
    """A Flow's answers (``nfm_reply.response_json``, a JSON *string*), without the
    ``flow_token`` (an opaque session id, not something the participant answered)."""
    if isinstance(response_json, dict):
        data: Any = response_json
    elif isinstance(response_json, str):
        try:
            data = json.loads(response_json)
        except ValueError:
            return None
    else:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): v for k, v in data.items() if k != "flow_token"}


def _event_fields(msg: _RawMessage) -> dict[str, Any] | None:
    if msg.type == "request_welcome":
        return {}
    if msg.type == "system":
        system = msg.system or _System()
        return {"system": SystemNotice(
            type=system.type, wa_id=system.wa_id, user_id=system.user_id,
            previous_user_id=system.previous_user_id,
        )}
    original = msg.revoke if msg.type == "revoke" else msg.edit
    if original is None or not original.original_message_id:
        return None
    text: str | None = None
    if msg.type == "edit":  # the new words: a text's body, or a media message's caption
        edited = original.message or {}
        kind = str(edited.get("type") or "text")
        inner = edited.get(kind)
        value = inner.get("body" if kind == "text" else "caption") if isinstance(
            inner, dict) else None
        text = value if isinstance(value, str) else ""
    return {"revision": Revision(original_id=original.original_message_id, text=text)}


def _status_item(raw: Any, metadata: WebhookMetadata) -> WebhookItem:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return SkippedItem(source="status", reason="status without an id", raw=raw)
    try:
        status = _RawStatus.model_validate(raw)
    except ValidationError:
        return SkippedItem(source="status", reason="status with an unexpected shape", raw=raw)
    if not status.status:
        return SkippedItem(source="status", reason="status without a status value", raw=raw)
    return StatusUpdate(
        wamid=status.id, status=status.status, timestamp=_timestamp(status.timestamp),
        recipient_id=status.recipient_id, recipient_user_id=status.recipient_user_id,
        biz_opaque_callback_data=status.biz_opaque_callback_data,
        errors=_errors(status.errors), pricing=status.pricing,
        phone_number_id=metadata.phone_number_id, raw=raw,
    )


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return None
