"""The summarizer: a cheap model folding turns into the conversation's running notes.

It answers through one output tool (``record_notes``) with a typed ``FoldDraft``, so a model
that rambles or invents a shape is retried by PydanticAI instead of corrupting the summary.
The notes it sees and the turns it reads are put in the user prompt and framed as data.
"""

from __future__ import annotations

from pydantic_ai import Agent
from pydantic_ai.output import ToolOutput

from ignacio_agents.agents.prompts import load_prompt
from ignacio_agents.summaries import FoldDraft

NOTES_TOOL = "record_notes"

summarizer_agent: Agent[None, FoldDraft] = Agent(
    None,
    name="summarizer",
    output_type=ToolOutput(FoldDraft, name=NOTES_TOOL, description="Record the new notes."),
    instructions=load_prompt("summarizer"),
    retries={"output": 2},
    defer_model_check=True,
)
