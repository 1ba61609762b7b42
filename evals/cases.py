"""The shape of one eval case: what the participant says, with what came before, and labels.

Program staff edit the YAML files in ``evals/datasets/``; these models are what those files are
validated against, so a typo in a field name fails loudly instead of being ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from ignacio_agents.agents.routing import Route
from ignacio_agents.domain import ProjectKind, Specialist
from ignacio_agents.responses import AdvisorAnswer

Language = Literal["es", "en"]


class Turn(BaseModel):
    """One earlier message of the conversation, oldest first. An assistant turn may name the
    specialist who gave it: the router sees that in the app ("ignacio (marketing): ...")."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    text: str = Field(min_length=1)
    specialist: Specialist | None = None


class Question(BaseModel):
    """A participant's message plus the turns before it (empty for a fresh conversation).

    ``specialist`` sends the message straight to that specialist (the answer suites test one
    specialist at a time); without it the router decides, as in the app. ``channel`` is where
    the participant writes from, which sets how long the answer may be (WhatsApp: short).
    """

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    specialist: Specialist | None = None
    channel: Literal["web", "whatsapp"] = "web"


Category = Literal[
    "direct",  # a clear question for one specialist
    "greeting",
    "thanks",
    "out_of_scope",
    "ambiguous",  # vague ("help me") or touching two specialists
    "follow_up",  # only makes sense with the history
    "human",  # asks to talk to a person (a mentor, someone from the program)
    "long",  # asks for a long, structured answer (rendering suite)
    "tools",  # needs the participant's files / history / profile (tool-use suite)
    "no_tools",  # general knowledge: no tool should be called
]


class CaseInfo(BaseModel):
    """Labels of a case, used by the checks and to read the report (not seen by the model)."""

    model_config = ConfigDict(extra="forbid")

    language: Language
    category: Category = "direct"
    project: ProjectKind | None = None
    notes: str | None = None


class AnswerRun(BaseModel):
    """What the answer suites produce for one case: the typed answer and its two renderings.

    ``route`` is set when the case went through the router (language suite); the answer suites
    that call a specialist directly leave it empty.
    """

    specialist: Specialist
    answer: SerializeAsAny[AdvisorAnswer]
    route: Route | None = None
    markdown: str
    whatsapp: str
    whatsapp_parts: list[str]
