"""Public request and response shapes of the HTTP API.

Class names are the OpenAPI component names the web client is typed against (``User``,
``AccessToken``, ``Message``...), so renaming one is an API change. Phone numbers appear only in
``User``, which is returned to its owner (``/users/me``, sign-in) and to admins.

``message_out`` is the one place a stored message becomes JSON, shared by the chat and the admin
transcript routers so both show the same message the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from ignacio_agents.channel import ChannelRegistry, DeliveryErrorReason
from ignacio_agents.domain import ChannelName, DeliveryStatus, MessageType, ProjectKind, Specialist
from ignacio_agents.responses import Answer, AnswerAdapter
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.messages import Delivery as StoredDelivery
from ignacio_agents.store.messages import StoredMessage
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.store.users import StoredUser


class Language(StrEnum):
    es = "es"
    en = "en"


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


# --- input rules shared by every request -----------------------------------------------------


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    return text


PlainText = Annotated[str, AfterValidator(_no_nul)]
"""A query parameter's text: PostgreSQL text cannot hold a NUL, so it is refused as input."""


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    """Pydantic would read a bare number as Unix seconds; the API documents ISO 8601 only."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("use an ISO 8601 date or date-time, e.g. 2026-03-01T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
"""A date-time query parameter, as documented: ISO 8601 text, not a number."""

IsoDate = Annotated[date, BeforeValidator(_iso_only)]
"""A calendar date, as documented: ISO 8601 text ("2026-03-01"), not a number."""


class Input(BaseModel):
    """Base of every request body. A NUL character anywhere in it is refused (422): no
    PostgreSQL text or jsonb value can hold one, so it would otherwise fail at the database."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


# --- sign-in -------------------------------------------------------------------------------------


class OtpRequest(Input):
    phone_number: str = Field(min_length=1, max_length=32)


class OtpSent(BaseModel):
    status: str
    message: str


class OtpVerify(Input):
    phone_number: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=16)


# --- users ---------------------------------------------------------------------------------------


class Project(BaseModel):
    """The project profile the advisor answers with."""

    project_name: str | None = None
    kind: ProjectKind | None = None
    stage: str | None = None
    description: str | None = None
    goals: str | None = None


class ProjectUpdate(Input):
    """Only the fields sent change; ``null`` clears one."""

    project_name: str | None = Field(default=None, max_length=200)
    kind: ProjectKind | None = None
    stage: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    goals: str | None = Field(default=None, max_length=4000)


class User(BaseModel):
    id: UUID
    phone_number: str  # E.164; this model goes only to its owner and to admins
    name: str | None
    is_admin: bool
    is_mentor: bool = False  # acts on the participants assigned to them
    is_active: bool
    preferred_language: Language
    created_at: datetime
    updated_at: datetime
    project: Project


UserOut = User  # the name the backend code uses; ``User`` is the OpenAPI name


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None = None


class ConsentOut(BaseModel):
    """The consent notice on the web: what the app shows after sign-in until it is dismissed."""

    channel: str
    show: bool  # not yet acknowledged on this channel (and the notice is on)
    notice: dict[str, str]  # the text in each language ("es", "en")
    acknowledged_at: datetime | None = None
    language: str | None = None  # the language it was read in


class ConsentAck(Input):
    language: Language  # the language the notice was shown in


class MeUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    preferred_language: Language | None = None
    project: ProjectUpdate | None = None


class UserCreate(Input):
    phone_number: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=255)
    is_admin: bool = False
    preferred_language: Language = Language.es


class UserUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    is_admin: bool | None = None
    is_active: bool | None = None
    preferred_language: Language | None = None


class AccessToken(BaseModel):
    """A signed-in answer. The refresh token is not here: it is set as an httpOnly cookie."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int  # seconds until the access token expires
    user: User
    # ADMIN_REQUIRE_TOTP and no authenticator yet: this session reaches only enrolment.
    totp_enrolment_required: bool = False


def user_out(user: StoredUser, project: ProjectProfile) -> User:
    language = user.preferred_language if user.preferred_language in ("es", "en") else "es"
    return User(
        id=user.id, phone_number=user.phone_number, name=user.name, is_admin=user.is_admin,
        is_mentor=user.is_mentor, is_active=user.is_active, preferred_language=Language(language),
        created_at=user.created_at, updated_at=user.updated_at,
        project=Project.model_validate(project.model_dump()),
    )


# --- messages ------------------------------------------------------------------------------------


class Attachment(BaseModel):
    file_id: UUID
    file_name: str
    content_type: str
    size: int
    kind: str


class DeliveryError(BaseModel):
    """Why the channel did not deliver an answer (yet): its error code, the channel's own
    title for it, and what it means (``reason``, which the web app puts into words)."""

    code: str = Field(description="The channel's error code, e.g. WhatsApp's `131026`.")
    title: str | None = Field(description="The channel's own name for the code (None if "
                              "this version does not know it).")
    reason: DeliveryErrorReason


class Message(BaseModel):
    id: UUID
    conversation_id: UUID
    role: Literal["user", "assistant"]
    content: str
    message_type: MessageType
    channel: ChannelName
    agent: Specialist | None
    answer: Answer | None  # the typed answer; its ``kind`` names the card to draw
    status: DeliveryStatus
    error_code: str | None
    is_fallback: bool
    feedback: int | None
    created_at: datetime
    attachments: list[Attachment]
    # A human's own message (a mentor or admin while the AI is paused): shown as "Mentor · name".
    author_name: str | None = None
    reply_to_id: UUID | None = Field(
        default=None, description="The participant's message this answer answers.")
    replaced: Literal["regenerated", "edited"] | None = Field(
        default=None, description="An answer the participant replaced: `regenerated` (another "
        "answer to the same question follows; this one stays as an alternative) or `edited` "
        "(its question was edited and sent again; only admins see it).")
    edited: bool = Field(default=False, description="A question its author edited.")
    delivery_error: DeliveryError | None = Field(
        default=None, description="For an answer a channel delivers after the turn: why its "
        "last delivery attempt failed (with `status` `failed`: it will not be sent; `pending`: "
        "it is retried or waits for the participant to write).")


def _attachments(message: StoredMessage) -> list[Attachment]:
    if message.file_id is None or message.file_name is None:
        return []  # no attachment, or its file was deleted since
    kind = message.message_type.value if message.message_type != MessageType.text else "document"
    return [Attachment(
        file_id=message.file_id, file_name=message.file_name,
        content_type=message.file_type or "application/octet-stream",
        size=message.file_size or 0, kind=kind,
    )]


def _answer(stored: dict[str, Any] | None) -> Any:
    """The stored typed answer, or None if it no longer matches the answer models (a message
    stays readable as its Markdown ``content`` either way)."""
    if stored is None:
        return None
    try:
        return AnswerAdapter.validate_python(stored)
    except ValueError:
        return None


_UNDELIVERED = frozenset({DeliveryStatus.failed, DeliveryStatus.pending})


def _delivery_error(message: StoredMessage, channels: ChannelRegistry | None
                    ) -> DeliveryError | None:
    if channels is None or message.is_from_user or message.status not in _UNDELIVERED:
        return None  # a code left from an attempt before a later success means nothing now
    explained = channels.explain_error(message.channel, message.error_code)
    return DeliveryError.model_validate(explained, from_attributes=True) if explained else None


def message_model(message: StoredMessage, channels: ChannelRegistry | None = None) -> Message:
    """A stored message as the API shows it; with ``channels``, a failed or waiting delivery
    says what its error code means."""
    return Message(
        id=message.id, conversation_id=message.conversation_id,
        role="user" if message.is_from_user else "assistant",
        content=message.content or "", message_type=message.message_type,
        channel=message.channel, agent=message.agent, answer=_answer(message.answer),
        status=message.status, error_code=message.error_code, is_fallback=message.is_fallback,
        feedback=message.feedback, created_at=message.created_at,
        attachments=_attachments(message),
        author_name=(message.author_name or "") if message.author_id else None,
        reply_to_id=message.reply_to_id,
        replaced=message.replaced_reason,  # checked by the database
        edited=message.edited_at is not None,
        delivery_error=_delivery_error(message, channels),
    )


def message_out(message: StoredMessage) -> dict[str, Any]:
    """A stored message as the JSON every client sees (plain JSON types, ready for SSE too)."""
    return message_model(message).model_dump(mode="json")


# --- admin ---------------------------------------------------------------------------------------


class UserRef(BaseModel):
    id: UUID
    name: str | None


class SnippetPart(BaseModel):
    text: str
    match: bool  # one of the searched words: shown highlighted


class SearchMatch(BaseModel):
    """Where a text search matched: the best message and the words around the match."""

    message_id: UUID
    snippet: list[SnippetPart]


class AdminConversation(BaseModel):
    id: UUID
    title: str | None
    channel: ChannelName
    created_at: datetime
    updated_at: datetime
    user: UserRef
    message_count: int
    match: SearchMatch | None = None  # with a text search ``q``


class AdminConversationPage(BaseModel):
    items: list[AdminConversation]
    next_cursor: str | None = None


class DeliveryOut(BaseModel):
    """One WhatsApp message actually sent for an answer (long answers are split in parts)."""

    part_index: int
    external_id: str | None
    status: DeliveryStatus
    error_code: str | None
    updated_at: datetime


class MessageOrigin(BaseModel):
    """What the channel told us about a message beyond its words, for the admin's review."""

    source_type: str | None = Field(
        default=None, description="The channel's own type for it, e.g. WhatsApp's 'sticker', "
        "'interactive' (a button, list or Flow answer) or 'request_welcome'.")
    forwarded: bool = False
    frequently_forwarded: bool = False
    referral: dict[str, Any] | None = Field(
        default=None, description="The ad or post that led the participant here "
        "(click-to-WhatsApp: source_url, headline, ...).")
    flow_response: dict[str, Any] | None = Field(
        default=None, description="A form's answers, by field name.")
    quoted_id: UUID | None = Field(default=None, description="The earlier message it replies to.")
    quotes_unknown: bool = Field(
        default=False, description="It replies to a message that is not in the history.")
    deleted_at: datetime | None = Field(
        default=None, description="When its author deleted it: kept here, hidden from the "
        "participant's view and from the model.")
    edited_at: datetime | None = None


def message_origin(message: StoredMessage) -> MessageOrigin:
    details = message.details or {}
    return MessageOrigin(
        source_type=message.source_type,
        forwarded=bool(details.get("forwarded")),
        frequently_forwarded=bool(details.get("frequently_forwarded")),
        referral=details.get("referral"), flow_response=details.get("flow_response"),
        quoted_id=message.quoted_id, quotes_unknown=bool(details.get("quotes_unknown")),
        deleted_at=message.deleted_at, edited_at=message.edited_at,
    )


class TranscriptMessage(Message):
    deliveries: list[DeliveryOut]
    origin: MessageOrigin


class Transcript(BaseModel):
    conversation: Conversation
    user: User
    messages: list[TranscriptMessage]


def transcript_message(message: StoredMessage, deliveries: list[StoredDelivery],
                       channels: ChannelRegistry | None = None) -> TranscriptMessage:
    return TranscriptMessage(
        **message_model(message, channels).model_dump(),
        deliveries=[DeliveryOut.model_validate(d.model_dump()) for d in deliveries],
        origin=message_origin(message),
    )


class AuditEntry(BaseModel):
    id: int
    actor_id: UUID | None
    actor_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    # The target's name today (a user, a conversation's title, a cohort, a file); null when
    # it has none or is gone. ``target_user_name``: whose conversation or file it is.
    target_name: str | None = None
    target_user_name: str | None = None
    client_ip: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


# --- sessions ------------------------------------------------------------------------------------


class SessionOut(BaseModel):
    """One signed-in device."""

    id: UUID
    created_at: datetime
    last_used_at: datetime  # last refresh
    expires_at: datetime
    current: bool  # the session making this request
    device: str | None = None  # "Chrome on Android", from the browser that signed in


class SessionList(BaseModel):
    items: list[SessionOut]
