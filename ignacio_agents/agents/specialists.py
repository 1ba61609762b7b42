"""One PydanticAI agent per specialist: its prompt file, its typed answer (or a hand-back to
another specialist), the shared tools, the request fitter (history and tool results within the
model's context window) and the output validator. The user's name, project, channel budget and
language are injected per run (``instructions.user_context``), so one agent object serves every
user."""

from __future__ import annotations

from pydantic_ai import Agent, RunContext
from pydantic_ai.capabilities import PrepareOutputTools
from pydantic_ai.output import ToolOutput
from pydantic_ai.tools import ToolDefinition

from ignacio_agents.agents.answer_order import AnswerAfterTools
from ignacio_agents.agents.deps import AdvisorDeps
from ignacio_agents.agents.instructions import user_context
from ignacio_agents.agents.prompts import load_prompt
from ignacio_agents.agents.routing import REROUTE_TOOL, Reroute, answer_tool_name
from ignacio_agents.agents.tools import advisor_tools
from ignacio_agents.agents.validators import check_answer
from ignacio_agents.context_fit import FitToContextWindow
from ignacio_agents.domain import ADVISORS, Specialist
from ignacio_agents.responses import RESPONSE_TYPES, AdvisorAnswer

SpecialistOutput = AdvisorAnswer | Reroute


async def offer_hand_back(ctx: RunContext[AdvisorDeps],
                          tool_defs: list[ToolDefinition]) -> list[ToolDefinition]:
    """The hand-back is offered only when the engine allows one (never to the specialist a
    question was handed to), so a turn re-routes at most once."""
    return tool_defs if ctx.deps.may_hand_back else [t for t in tool_defs if t.name != REROUTE_TOOL]


def build_specialist(specialist: Specialist) -> Agent[AdvisorDeps, SpecialistOutput]:
    # The answer tool comes first: scripted and offline models answer with output_tools[0].
    agent: Agent[AdvisorDeps, SpecialistOutput] = Agent(
        None,
        name=specialist.value,
        deps_type=AdvisorDeps,
        output_type=[
            ToolOutput(RESPONSE_TYPES[specialist], name=answer_tool_name(specialist),
                       description="Give your answer to the user."),
            ToolOutput(Reroute, name=REROUTE_TOOL,
                       description="Hand the question to the specialist whose area it is in, "
                       "instead of answering. The user never sees this."),
        ],
        instructions=load_prompt("common") + "\n\n" + load_prompt(specialist.value),
        # The agent's own toolset, not a second one beside it: PydanticAI gathers a combined
        # toolset's members in a task group at every step (tools, instructions, run step).
        tools=list(advisor_tools.tools.values()),
        retries={"tools": 2, "output": 2},
        capabilities=[FitToContextWindow(), AnswerAfterTools(), PrepareOutputTools(offer_hand_back)],
        defer_model_check=True,
    )
    agent.instructions(user_context)
    agent.output_validator(check_answer)
    return agent


SPECIALISTS: dict[Specialist, Agent[AdvisorDeps, SpecialistOutput]] = {
    s: build_specialist(s) for s in ADVISORS
}
