"""Follow-up questions as WhatsApp reply buttons or a list, within Meta's limits, and a tap
coming back to the model as the answer to the question it names. The fake Graph API refuses
interactive messages the way Meta does (titles, counts, body length)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.whatsapp.render import follow_up_options
from tests.fakes.graph import FakeGraphServer, interactive_problem, message_item, webhook_payload
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    last_user_text,
    post_webhook,
    use_model,
    wait_for_idle_queue,
    whatsapp_settings,
)

SHORT = ["¿Precio?", "¿Clientes?", "¿Competencia?"]
LONG = ["¿Quién es exactamente tu cliente ideal y qué problema le resuelves?",
        "¿Cuánto te cuesta producir una unidad hoy?"]


def test_short_questions_are_buttons_and_long_ones_a_list_both_within_limits() -> None:
    buttons = follow_up_options("Cuéntame más.", SHORT, "es")
    assert buttons["type"] == "button" and interactive_problem(buttons) is None
    assert [b["reply"]["title"] for b in buttons["action"]["buttons"]] == SHORT

    listed = follow_up_options("Cuéntame más.", LONG, "es")
    assert listed["type"] == "list" and interactive_problem(listed) is None
    rows = listed["action"]["sections"][0]["rows"]
    assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
    assert rows[1]["description"] == LONG[1]  # the whole question when it fits

    many = follow_up_options("x", [f"Pregunta número {i}" for i in range(14)], "es")
    assert many["type"] == "list" and interactive_problem(many) is None  # ten rows at most
    long_body = follow_up_options("palabra " * 200, SHORT, "es")
    assert long_body["type"] == "list" and interactive_problem(long_body) is None  # body > 1024
    # The fake holds Meta's limits: these are refused.
    assert interactive_problem({**buttons, "action": {"buttons": buttons["action"]["buttons"] * 2}})
    assert interactive_problem({"type": "button", "body": {"text": "x"}, "action": {"buttons": [
        {"type": "reply", "reply": {"id": "a", "title": "x" * 21}}]}})


def follow_up_model(prompts: list[str]) -> Any:
    from pydantic_ai.messages import ModelResponse, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from ignacio_agents.agents.routing import ROUTE_TOOL

    async def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        if tool == ROUTE_TOOL:
            return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
                "specialist": "general", "reason": "scripted", "language": "es"})])
        prompts.append(last_user_text(messages))
        return ModelResponse(parts=[ToolCallPart(tool, {
            "message": "Buena idea. Para afinar:", "follow_up_questions": LONG})])

    return FunctionModel(respond, model_name="follow-ups")


async def test_follow_ups_go_out_as_options_and_a_tap_reaches_the_model_with_its_question(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(graph))
    prompts: list[str] = []
    use_model(app, follow_up_model(prompts))
    await app.runtime.store.users.create("+" + WA_USER, "Ana")
    await post_webhook(app, webhook_payload([message_item("text", {"body": "Tengo una idea"},
                                                          wa_id=WA_USER)]))
    [offer] = await graph.wait_for_messages_async(1, timeout=15)
    await wait_for_idle_queue(app)
    assert offer["type"] == "interactive"  # accepted by the fake, so within Meta's limits
    assert offer["interactive"]["type"] == "list"
    assert "Buena idea" in offer["interactive"]["body"]["text"]
    [accepted] = [r for r in graph.requests if r.json == offer]
    offer_wamid = accepted.response["messages"][0]["id"]

    row = offer["interactive"]["action"]["sections"][0]["rows"][1]
    tap = message_item("interactive", {"type": "list_reply", "list_reply": {
        "id": row["id"], "title": row["title"], "description": row.get("description", "")}},
        wa_id=WA_USER, context_id=offer_wamid, timestamp=int(time.time()))
    await post_webhook(app, webhook_payload([tap]))
    await graph.wait_for_messages_async(2, timeout=15)
    await wait_for_idle_queue(app)
    await asyncio.sleep(0)
    assert len(prompts) == 2
    assert f"«{LONG[1]}»" in prompts[1]  # the model knows which question the tap answers
