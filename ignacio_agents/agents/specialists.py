"""One PydanticAI agent per specialist: its prompt file, its typed answer, the shared tools,
the request fitter (history and tool results within the model's context window) and the
output validator. The user's name, project, channel budget and language are injected per run
(``instructions.user_context``), so one agent object serves every user."""

from __future__ import annotations

from pydantic_ai import Agent
from pydantic_ai.output import ToolOutput

from ignacio_agents.agents.answer_order import AnswerAfterTools
from ignacio_agents.agents.deps import AdvisorDeps
from ignacio_agents.agents.instructions import user_context
from ignacio_agents.agents.prompts import load_prompt
from ignacio_agents.agents.routing import answer_tool_name
from ignacio_agents.agents.tools import advisor_tools
from ignacio_agents.agents.validators import check_answer
from ignacio_agents.context_fit import FitToContextWindow
from ignacio_agents.domain import Specialist
from ignacio_agents.responses import RESPONSE_TYPES, AdvisorAnswer


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
    agent.output_validator(check_answer)
    return agent


SPECIALISTS: dict[Specialist, Agent[AdvisorDeps, AdvisorAnswer]] = {
    s: build_specialist(s) for s in Specialist
}
