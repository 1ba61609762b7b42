"""The message a WhatsApp reply quotes, as the model reads it.

A participant who swipes to reply to an older message and writes "sí, esa" means *that*
message. The webhook links the reply to the stored message it quotes (``quoted_id``); the turn
then starts with one bracketed line naming it: its words cut short, or a stand-in when it has
none (an image), was deleted, or is not stored (older than our history).
"""

from __future__ import annotations

import re

from ignacio_agents.store import Store
from ignacio_agents.store.messages import StoredMessage

QUOTE_CHARS = 300  # enough to recognise a message, short enough not to repeat it
_SPACES = re.compile(r"\s+")
_STAND_INS = {
    "image": "una imagen", "video": "un vídeo", "audio": "un audio", "document": "un documento",
}


async def turn_text(store: Store, inbound: StoredMessage) -> str:
    """The text of the turn for ``inbound``: its words, after the quote line when it quotes."""
    text = inbound.content or ""
    quotes_unknown = bool((inbound.details or {}).get("quotes_unknown"))
    if inbound.quoted_id is None and not quotes_unknown:
        return text
    quoted = await store.messages.get(inbound.quoted_id) if inbound.quoted_id else None
    return f"{quote_line(quoted)}\n{text}"


def quote_line(quoted: StoredMessage | None) -> str:
    if quoted is None:
        return "[En respuesta a un mensaje anterior que ya no está en el historial]"
    if quoted.deleted_at is not None:
        return "[En respuesta a un mensaje que se borró]"
    who = "tu mensaje" if not quoted.is_from_user else "su propio mensaje"
    return f"[En respuesta a {who}: «{_excerpt(quoted)}»]"


def _excerpt(message: StoredMessage) -> str:
    words = _SPACES.sub(" ", message.content or "").strip()
    if not words:
        return _STAND_INS.get(message.message_type.value, "un mensaje sin texto")
    return words if len(words) <= QUOTE_CHARS else words[:QUOTE_CHARS - 1].rstrip() + "…"
