"""An answer never ends a run in the same response as the tool calls it should have waited for.

With PydanticAI's default ``end_strategy='graceful'``, a response that calls ``search_files``
and the answer tool together runs the search and then ends the run with the answer, which was
written before the search result existed. Specialists ask for one tool call per response
(``parallel_tool_calls=False``), but not every provider honours that; this hook drops the
answer from such a response, so the tools run and the model answers in its next response, with
their results in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models import ModelRequestContext


@dataclass
class AnswerAfterTools(AbstractCapability[Any]):
    async def after_model_request(self, ctx: RunContext[Any], *, request_context: ModelRequestContext,
                                  response: ModelResponse) -> ModelResponse:
        output_names = {t.name for t in request_context.model_request_parameters.output_tools}
        calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
        if not any(c.tool_name in output_names for c in calls):
            return response
        if all(c.tool_name in output_names for c in calls):
            return response
        parts = [p for p in response.parts
                 if not (isinstance(p, ToolCallPart) and p.tool_name in output_names)]
        return replace(response, parts=parts)

    @classmethod
    def get_serialization_name(cls) -> str | None:
        return None
