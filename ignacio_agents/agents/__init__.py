"""Ignacio's agents: a triage router returning a typed ``Route`` and one specialist per
``Specialist`` value, each with a typed answer (or a ``Reroute`` hand-back), the shared tools
and the history trimmer.

The engine runs them with the configured model (``run(..., model=...)``); tests and evals swap
models with ``agent.override(model=...)`` or hand the engine its models directly.
"""

from ignacio_agents.agents.deps import AdvisorDeps, TriageDeps
from ignacio_agents.agents.routing import (
    ANSWER_TOOLS,
    REROUTE_TOOL,
    ROUTE_TOOL,
    Reroute,
    Route,
    answer_tool_name,
)
from ignacio_agents.agents.specialists import SPECIALISTS, build_specialist
from ignacio_agents.agents.tools import advisor_tools
from ignacio_agents.agents.triage import triage_agent

__all__ = [
    "ANSWER_TOOLS", "REROUTE_TOOL", "ROUTE_TOOL", "SPECIALISTS", "AdvisorDeps", "Reroute", "Route",
    "TriageDeps",
    "advisor_tools", "answer_tool_name", "build_specialist", "triage_agent",
]
