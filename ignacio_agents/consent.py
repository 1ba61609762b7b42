"""The consent notice: on a participant's first contact on each channel, a short notice of what
Ignacio stores and how to get it or have it deleted, recorded with its time and its words.

The texts are settings (``CONSENT_NOTICE_ES`` / ``CONSENT_NOTICE_EN``) with the defaults below;
a participant reads the one of their language. How a channel shows it is the channel's own
business: WhatsApp sends it as a message before the first answer (:func:`notice_to_send`); the
web shows it after sign-in until the participant dismisses it (``/users/me/consent``). Either
way it is shown once per channel: ``consents`` holds one row per participant and channel.
"""

from __future__ import annotations

from uuid import UUID

from ignacio_agents.domain import DeliveryStatus
from ignacio_agents.language import DEFAULT_LANGUAGE
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.consents import StoredConsent
from ignacio_agents.store.messages import NewMessage, StoredMessage

LANGUAGES = ("es", "en")

DEFAULT_NOTICES = {
    "es": (
        "🔒 Antes de seguir: Ignacio guarda lo que le escribes aquí y en la web, tus archivos, "
        "el perfil de tu proyecto y un resumen de lo que recuerda de ti, para asesorarte y para "
        "que el equipo del programa pueda revisar las conversaciones. Puedes descargarlo todo "
        "desde tu perfil en la web, y pedir al equipo del programa que lo borre."
    ),
    "en": (
        "🔒 Before we go on: Ignacio keeps what you write here and on the web, your files, your "
        "project profile and a summary of what it remembers about you, to advise you and so the "
        "program team can review conversations. You can download all of it from your profile "
        "on the web, and ask the program team to delete it."
    ),
}


def notice_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def notice_text(settings: Settings, language: str | None) -> str:
    """The notice in ``language`` (the participant's), as configured or the default."""
    lang = notice_language(language)
    configured = settings.consent_notice_es if lang == "es" else settings.consent_notice_en
    return configured or DEFAULT_NOTICES[lang]


def notice_texts(settings: Settings) -> dict[str, str]:
    return {lang: notice_text(settings, lang) for lang in LANGUAGES}


async def notice_to_send(store: Store, settings: Settings, user_id: UUID, conversation_id: UUID,
                         channel: str) -> StoredMessage | None:
    """For a channel that sends the notice as a message: the stored notice still to deliver.

    The first time, the notice is stored as Ignacio's message in the conversation together
    with the participant's consent row (one transaction, so it is stored once however many
    jobs race). Until that message has gone out it is returned again (a job retried after a
    crash finishes sending it); after that, None. None too when the notice is turned off."""
    if not settings.consent_notice_enabled:
        return None
    consent = await store.consents.get(user_id, channel)
    if consent is None:
        async with store.db.transaction() as tx:
            user = await store.users.get(user_id, conn=tx)
            if user is None:
                return None
            lang = notice_language(user.preferred_language)
            text = notice_text(settings, lang)
            if not await store.consents.claim(user_id, channel, lang, text, conn=tx):
                consent = await store.consents.get(user_id, channel, conn=tx)
            else:
                message = await store.messages.add(NewMessage(
                    conversation_id=conversation_id, user_id=user_id, is_from_user=False,
                    content=text, channel=channel, status=DeliveryStatus.pending,
                    source_type="consent",
                ), conn=tx)
                assert message is not None
                await store.consents.attach_message(user_id, channel, message.id, conn=tx)
                return message
    return await _unsent(store, consent)


async def _unsent(store: Store, consent: StoredConsent | None) -> StoredMessage | None:
    if consent is None or consent.message_id is None:
        return None
    message = await store.messages.get(consent.message_id)
    if message is None or message.status is not DeliveryStatus.pending:
        return None
    return message
