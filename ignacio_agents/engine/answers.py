"""Storing the turn's assistant message: a typed answer with its usage and the turn's
PydanticAI messages, or the fallback apology with the error code.

Either way the stored PydanticAI messages keep the question in the replayable history, so the
next turn can still refer to it.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai import AgentRunResult
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserContent, UserPromptPart

from ignacio_agents.agents import Route
from ignacio_agents.domain import DeliveryStatus, InboundMessage
from ignacio_agents.memory import prepare_for_storage
from ignacio_agents.responses import AdvisorAnswer
from ignacio_agents.store import Store
from ignacio_agents.store.messages import NewMessage, StoredMessage


async def _add_reply(store: Store, inbound: InboundMessage, user_message: StoredMessage, route: Route,
                     answer: AdvisorAnswer, **fields: Any) -> StoredMessage:
    message = await store.messages.add(NewMessage(
        conversation_id=inbound.conversation_id, user_id=inbound.user_id, is_from_user=False,
        content=answer.to_markdown(), channel=inbound.channel, agent=route.specialist.value,
        route_reason=route.reason, answer=answer.model_dump(mode="json"),
        reply_to_id=user_message.id, **fields,
    ))
    assert message is not None  # only user messages carry a channel id that can repeat
    return message


async def store_answer(store: Store, inbound: InboundMessage, user_message: StoredMessage, route: Route,
                       result: AgentRunResult[Any], answer: AdvisorAnswer,
                       usage: dict[str, Any], *, deferred: bool = False) -> StoredMessage:
    """``deferred``: the channel sends the answer after the turn (its trait), so the answer
    starts ``pending`` and its deliveries move the status on."""
    stored_messages, history_tokens = prepare_for_storage(result.new_messages())
    status = DeliveryStatus.pending if deferred else DeliveryStatus.sent
    return await _add_reply(store, inbound, user_message, route, answer,
                            usage={**usage, "history_tokens": history_tokens},
                            model_messages=stored_messages, status=status)


async def store_fallback(store: Store, inbound: InboundMessage, user_message: StoredMessage,
                         route: Route, prompt: str | list[UserContent], answer: AdvisorAnswer,
                         usage: dict[str, Any], code: str) -> StoredMessage:
    stored_messages, history_tokens = prepare_for_storage([ModelRequest(parts=[UserPromptPart(prompt)])])
    return await _add_reply(store, inbound, user_message, route, answer,
                            usage={**usage, "history_tokens": history_tokens},
                            model_messages=stored_messages, is_fallback=True,
                            status=DeliveryStatus.failed, error_code=code)


STOPPED = "stopped"


async def store_stopped(store: Store, inbound: InboundMessage, user_message: StoredMessage,
                        route: Route, prompt: str | list[UserContent], answer: AdvisorAnswer,
                        usage: dict[str, Any]) -> StoredMessage:
    """What the specialist had written when the participant stopped it, kept as the answer
    (error code ``stopped``). It joins the replayable history too, so the next turn knows
    what the participant already read."""
    text = answer.to_markdown()
    turn: list[Any] = [ModelRequest(parts=[UserPromptPart(prompt)])]
    if text:
        turn.append(ModelResponse(parts=[TextPart(text)]))
    stored_messages, history_tokens = prepare_for_storage(turn)
    return await _add_reply(store, inbound, user_message, route, answer,
                            usage={**usage, "history_tokens": history_tokens},
                            model_messages=stored_messages, status=DeliveryStatus.sent,
                            error_code=STOPPED)
