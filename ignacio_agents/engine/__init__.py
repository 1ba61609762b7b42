"""The conversation engine, one module per job of a turn.

``orchestrator`` puts the steps in order; ``context`` resolves and checks what a turn refers
to; ``routing`` asks the triage agent; ``prompt`` assembles the user prompt (attachments,
images); ``streaming`` turns model events into turn events; ``fallback`` decides what a failure
means and apologises; ``usage`` does the token arithmetic; ``answers`` stores the reply;
``titles`` names a new conversation.
"""

from ignacio_agents.engine.context import TurnContext, TurnRejected, resolve_context
from ignacio_agents.engine.fallback import FALLBACK_MESSAGES, error_code
from ignacio_agents.engine.orchestrator import ConversationEngine, user_hash
from ignacio_agents.engine.routing import RECENT_MESSAGES
from ignacio_agents.engine.titles import title_for
from ignacio_agents.events import (
    DeltaEvent,
    DoneEvent,
    PartialEvent,
    RetryEvent,
    RouteEvent,
    ToolEvent,
    TurnEvent,
    TurnResult,
)

__all__ = [
    "FALLBACK_MESSAGES", "RECENT_MESSAGES", "ConversationEngine", "DeltaEvent", "DoneEvent",
    "PartialEvent", "RetryEvent", "RouteEvent", "ToolEvent", "TurnContext", "TurnEvent",
    "TurnRejected", "TurnResult", "error_code", "resolve_context", "title_for", "user_hash",
]
