"""One PydanticAI agent per specialist: its prompt file, its typed answer, the shared tools and
the request fitter (history and tool results within the model's context
window). The user's name, project profile, channel and language are injected per
run, so one agent object serves every user."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic_ai import Agent, RunContext
from pydantic_ai.output import ToolOutput

from ignacio_agents.agents.answer_order import AnswerAfterTools
from ignacio_agents.agents.deps import AdvisorDeps
from ignacio_agents.agents.prompts import load_prompt
from ignacio_agents.agents.routing import answer_tool_name, language_hint
from ignacio_agents.agents.tools import advisor_tools
from ignacio_agents.context_fit import FitToContextWindow
from ignacio_agents.domain import Channel, Specialist
from ignacio_agents.responses import RESPONSE_TYPES, AdvisorAnswer

LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "ca": "Catalan", "pt": "Portuguese",
                  "fr": "French", "it": "Italian", "de": "German", "eu": "Basque", "gl": "Galician"}


def user_context(ctx: RunContext[AdvisorDeps]) -> str:
    deps = ctx.deps
    lang = deps.language
    lines = [
        f"Today is {datetime.now(UTC):%Y-%m-%d}.",
        f"Reply in {LANGUAGE_NAMES.get(lang, lang)} ({language_hint(lang)}).",
        f"The user's name: {deps.user.name or 'unknown'}.",
    ]
    if deps.channel is Channel.whatsapp:
        lines.append("The user is on WhatsApp: keep the answer short and easy to read on a phone.")
    if deps.profile.is_empty():
        lines.append("Their project profile is empty: if they tell you about the project, save it.")
    else:
        lines.append("Their project profile:")
        for key, value in deps.profile.model_dump(mode="json", exclude_none=True).items():
            lines.append(f"- {key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def build_specialist(specialist: Specialist) -> Agent[AdvisorDeps, AdvisorAnswer]:
    agent: Agent[AdvisorDeps, AdvisorAnswer] = Agent(
        None,
        name=specialist.value,
        deps_type=AdvisorDeps,
        output_type=ToolOutput(
            RESPONSE_TYPES[specialist], name=answer_tool_name(specialist),
            description="Give your answer to the user.",
        ),
        instructions=load_prompt("common") + "\n\n" + load_prompt(specialist.value),
        toolsets=[advisor_tools],
        retries={"tools": 2, "output": 2},
        capabilities=[FitToContextWindow(), AnswerAfterTools()],
        defer_model_check=True,
    )
    agent.instructions(user_context)
    return agent


SPECIALISTS: dict[Specialist, Agent[AdvisorDeps, AdvisorAnswer]] = {
    s: build_specialist(s) for s in Specialist
}
