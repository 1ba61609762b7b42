"""The fixed replies the WhatsApp channel sends without asking a model.

Short, polite and honest about what went wrong. Spanish for users who prefer it (the default),
English otherwise; strangers get both, since we know nothing about them.
"""

from __future__ import annotations

from typing import Literal

ReplyName = Literal[
    "new_conversation", "media_too_large", "media_unsupported", "media_unavailable",
    "audio_not_understood", "unsupported_message", "welcome",
]

NOT_ENROLLED = (
    "Hola 👋 Soy Ignacio, el asesor del programa. Este número no está inscrito, así que no "
    "puedo ayudarte por aquí todavía. Si participas en el programa, pide a la persona que lo "
    "administra que te dé de alta.\n\n"
    "Hi 👋 I'm Ignacio, the program's advisor. This number isn't enrolled, so I can't help you "
    "here yet. If you're a participant, please ask your program admin to add you."
)

_REPLIES: dict[str, dict[str, str]] = {
    # The first thing a participant sees when they open the chat (``request_welcome``).
    "welcome": {
        "es": "Hola{first_name} 👋 Soy Ignacio, el asesor del programa. Te ayudo con tu proyecto: "
              "validar la idea, marketing y clientes, la parte técnica, el plan y los plazos, "
              "y los números (costes, precios, financiación). También leo los documentos e "
              "imágenes que me envíes. Escríbeme tu pregunta cuando quieras.\n\n"
              "Para empezar una conversación nueva, escribe **nuevo**.",
        "en": "Hi{first_name} 👋 I'm Ignacio, the program's advisor. I help with your project: "
              "validating the idea, marketing and customers, the technical side, the plan and "
              "deadlines, and the numbers (costs, pricing, funding). I also read the documents "
              "and images you send me. Write me your question whenever you like.\n\n"
              "To start a new conversation, write **new**.",
    },
    "new_conversation": {
        "es": "Listo, empezamos una conversación nueva. ¿En qué te ayudo?",
        "en": "Done, we're starting a new conversation. How can I help?",
    },
    "media_too_large": {
        "es": "Ese archivo es demasiado grande para mí (el límite es {limit}). ¿Puedes enviar "
              "una versión más pequeña o contarme lo importante por escrito?",
        "en": "That file is too large for me (the limit is {limit}). Could you send a smaller "
              "version, or tell me the key points in writing?",
    },
    "media_unsupported": {
        "es": "No puedo leer ese tipo de archivo. Puedo trabajar con PDF, Word, Excel, "
              "PowerPoint, texto e imágenes. ¿Puedes enviarlo en otro formato?",
        "en": "I can't read that kind of file. I can work with PDF, Word, Excel, PowerPoint, "
              "text and images. Could you send it in another format?",
    },
    "media_unavailable": {
        "es": "No he podido descargar tu archivo de WhatsApp. ¿Puedes enviarlo de nuevo?",
        "en": "I couldn't download your file from WhatsApp. Could you send it again?",
    },
    "audio_not_understood": {
        "es": "Todavía no puedo escuchar notas de voz ni audios. ¿Puedes escribirme tu mensaje?",
        "en": "I can't listen to voice notes or audio yet. Could you write your message instead?",
    },
    "unsupported_message": {
        "es": "Ese tipo de mensaje no lo puedo leer. Escríbeme un texto, o envíame un documento, "
              "una imagen o una nota de voz.",
        "en": "I can't read that kind of message. Please write to me, or send a document, an "
              "image or a voice note.",
    },
}


def reply_text(name: ReplyName, language: str | None, **values: str) -> str:
    lang = "es" if (language or "es").lower().startswith("es") else "en"
    return _REPLIES[name][lang].format(**values)


def welcome_text(name: str | None, language: str | None) -> str:
    """The welcome, greeting the participant by their first name when we know it."""
    first = (name or "").strip().split(" ")[0]
    return reply_text("welcome", language, first_name=f" {first}" if first else "")


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"
