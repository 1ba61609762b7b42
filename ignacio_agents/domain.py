"""Core vocabulary shared by the engine, the channels and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

# How the engine marks its note to the model about an attached file (a prompt line starting
# with this); the offline model skips such lines when it quotes the participant's words.
ATTACHMENT_NOTE_PREFIX = "[Attached "


# A registered channel's name, as stored on conversations and messages. Channels register
# themselves (``ignacio_agents.channel``), so the core keeps no list of them; the web is the
# one it starts conversations on by default.
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,15}$")]
WEB_CHANNEL = "web"


class Specialist(StrEnum):
    """Who answers a turn. ``general`` covers greetings, thanks, out-of-scope and clarifications;
    ``human`` is the participant asking for a person: no model answers, a mentor is told."""

    marketing = "marketing"
    technical = "technical"
    project_management = "project_management"
    financial = "financial"
    general = "general"
    human = "human"


# The specialists a model answers as (every route but ``human``).
ADVISORS: tuple[Specialist, ...] = tuple(s for s in Specialist if s is not Specialist.human)


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
    channel: ChannelName
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    external_id: str | None = None  # the channel's id for the message, e.g. a WhatsApp wamid
    # Set when the channel already stored the user message (channels that defer delivery store
    # it before queueing the answer).
    message_id: UUID | None = None
