"""Core vocabulary shared by the engine, the channels and the API."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

# How the engine marks its note to the model about an attached file (a prompt line starting
# with this); the offline model skips such lines when it quotes the participant's words.
ATTACHMENT_NOTE_PREFIX = "[Attached "


class Channel(StrEnum):
    web = "web"
    whatsapp = "whatsapp"


class Specialist(StrEnum):
    """Who answers a turn. ``general`` covers greetings, thanks, out-of-scope and clarifications."""

    marketing = "marketing"
    technical = "technical"
    project_management = "project_management"
    financial = "financial"
    general = "general"


class MessageType(StrEnum):
    """The original spec's ``message_type`` set."""

    text = "text"
    image = "image"
    audio = "audio"
    video = "video"
    document = "document"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class ProjectKind(StrEnum):
    startup = "startup"
    ngo = "ngo"  # NGO or foundation
    spin_off = "spin_off"  # company spin-off
    intrapreneurship = "intrapreneurship"  # project inside a company


class Attachment(BaseModel):
    """A stored file handed to a turn (already in the blob store and ``user_files``)."""

    file_id: UUID
    file_name: str
    content_type: str
    kind: MessageType
    size: int = 0


class InboundMessage(BaseModel):
    """One user turn, normalised by a channel before any model work."""

    user_id: UUID
    conversation_id: UUID
    channel: Channel
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    external_id: str | None = None  # e.g. the WhatsApp message id (wamid)
    # Set when the channel already stored the user message (WhatsApp stores before queueing).
    message_id: UUID | None = None
    reply_to_external_id: str | None = None
