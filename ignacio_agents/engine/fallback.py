"""When the model cannot answer: which failures are worth another attempt, the error code
recorded on the stored reply, and the apology the participant gets in their language."""

from __future__ import annotations

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelHTTPError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
)

from ignacio_agents.engine.limits import ModelCircuitOpen
from ignacio_agents.responses import GeneralResponse, label_language

FALLBACK_MESSAGES = {
    "es": "Lo siento, ahora mismo no puedo responderte. He guardado tu mensaje: vuelve a "
          "intentarlo en unos minutos.",
    "en": "Sorry, I can't answer right now. I've kept your message: please try again in a few "
          "minutes.",
}


def error_code(exc: BaseException) -> str:
    """A short code for a failed model call (stored on the reply, safe to log)."""
    if isinstance(exc, TimeoutError):
        return "model_timeout"
    if isinstance(exc, ModelCircuitOpen):
        return "model_unavailable"
    if isinstance(exc, UnexpectedModelBehavior):
        return "model_invalid_output"
    if isinstance(exc, ModelHTTPError):
        return f"model_http_{exc.status_code}"
    if isinstance(exc, ModelAPIError):
        return "model_unavailable"
    return "model_error"


def worth_retrying(exc: BaseException) -> bool:
    """A bad key, an unknown model or a rejected request will fail the same way again."""
    return not isinstance(exc, ModelRequestRejectedError | ModelCircuitOpen)


def expected_failure(exc: BaseException) -> bool:
    """Failures of the provider itself (logged without a traceback: it says nothing new)."""
    return isinstance(exc, TimeoutError | ModelAPIError | ModelCircuitOpen)


def provider_failure(exc: BaseException) -> bool:
    """Failures that say the provider is unwell (they count towards opening the circuit); a
    rejected request or an invalid answer says nothing about the provider's health."""
    return isinstance(exc, TimeoutError | ModelAPIError) and not isinstance(exc, ModelRequestRejectedError)


def fallback_answer(language: str) -> GeneralResponse:
    """The polite apology, in Spanish or English (the nearest of the two)."""
    language = label_language(language)
    return GeneralResponse(message=FALLBACK_MESSAGES[language], follow_up_questions=[],
                           language=language)
