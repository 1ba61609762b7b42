"""The router's typed decision and the names both real and offline models must use.

Output tools are named explicitly (``route``, ``<specialist>_answer``, ``hand_back``) rather
than PydanticAI's default ``final_result``: traces read better, and a scripted or offline model
can tell from the tool name alone which agent is asking.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from ignacio_agents.domain import ADVISORS, Specialist

ROUTE_TOOL = "route"
REROUTE_TOOL = "hand_back"
_LANGUAGE_CODE = re.compile(r"language code: ([a-z]{2})\b")


def answer_tool_name(specialist: Specialist) -> str:
    return f"{specialist.value}_answer"


ANSWER_TOOLS: dict[str, Specialist] = {answer_tool_name(s): s for s in ADVISORS}


def language_hint(code: str) -> str:
    """How instructions name a language, parseable by the offline model."""
    return f"language code: {code}"


def language_from_hint(text: str | None) -> str | None:
    match = _LANGUAGE_CODE.search(text or "")
    return match.group(1) if match else None


class Route(BaseModel):
    """Who answers this turn, why, and in which language to answer.

    ``reason`` comes first on purpose: a model fills a tool call's arguments in schema order,
    so it states what is being asked before it commits to a specialist.
    """

    reason: str = Field(
        description="One short sentence: what the message actually asks for, and so who answers."
    )
    specialist: Specialist = Field(
        description="marketing, technical, project_management, financial, general for "
        "greetings, thanks, small talk, out-of-scope requests and unclear messages, or human "
        "when the participant asks to talk to a person (a mentor, someone from the program)."
    )
    language: str = Field(
        description="ISO 639-1 code of the language the user wrote in, e.g. 'es' or 'en'."
    )

    out_of_scope: bool = Field(
        default=False,
        description="True only for a general route whose request is outside what Ignacio "
        "advises on (weather, health, homework, booking things); false for greetings and thanks.",
    )

    @field_validator("language", mode="before")
    @classmethod
    def _normalise_language(cls, v: object) -> object:
        if isinstance(v, str):
            code = v.strip().lower().replace("_", "-").split("-")[0]
            return {"spanish": "es", "español": "es", "english": "en", "inglés": "en"}.get(code, code)
        return v

    @field_validator("reason")
    @classmethod
    def _short_reason(cls, v: str) -> str:
        return v.strip()[:300]


class Reroute(BaseModel):
    """A specialist's hand-back: the question belongs to another specialist's area.

    The engine then runs that specialist instead, once (a second hand-back is not offered), and
    the participant only ever sees the answer: the hand-back itself is never shown or stored as
    an answer.
    """

    reason: str = Field(description="One short sentence: why this question is outside your area.")
    specialist: Specialist = Field(description="The specialist whose area the question is in.")

    @field_validator("reason")
    @classmethod
    def _short_reason(cls, v: str) -> str:
        return v.strip()[:300]
