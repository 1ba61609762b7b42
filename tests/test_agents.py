"""The agents: shared tools reach only the current user's data, per-run instructions, the
router's view of the conversation, and the typed answers' schemas and renderings."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo
from pydantic_core import to_json

from channels.whatsapp.markup import to_whatsapp
from channels.whatsapp.render import answer_text
from ignacio_agents.agents import ROUTE_TOOL, SPECIALISTS, Route, answer_tool_name, triage_agent
from ignacio_agents.agents.prompts import load_prompt
from ignacio_agents.domain import ADVISORS, InboundMessage, MessageType, Specialist
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.responses import (
    RESPONSE_TYPES,
    FinancialResponse,
    MarketingResponse,
    TechnicalResponse,
)
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.store.messages import NewMessage
from tests.scripted_models import (
    answer_for,
    calls_tools_then_answers,
    canned_answers,
    route_to,
    scripted,
    tool_returns_of_this_turn,
)


async def _seed_user(rt: Any, make_user: Any, name: str, price: str) -> dict[str, Any]:
    """A user with an old message, a file and a profile that all mention the same words."""
    user = await make_user(name)
    conversation = await rt.store.conversations.create(user.id, "web", f"Precios de {name}")
    await rt.store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=user.id, is_from_user=True,
        content=f"El precio de la suscripción de {name} es {price} euros al mes",
    ))
    file_id = uuid.uuid4()
    await rt.store.files.create(
        file_id=file_id, user_id=user.id, file_name=f"plan-{name}.pdf",
        file_path=f"users/{user.id}/files/{file_id}/plan.pdf", file_type="application/pdf",
        file_size=1234, kind=MessageType.document, extraction_status="done",
    )
    await rt.store.files.replace_chunks(file_id, user.id, [
        ChunkIn(ordinal=0, part="page:1", location="page 1", content=f"Plan de negocio de {name}."),
        ChunkIn(ordinal=1, part="page:3", location="page 3",
                content=f"Precio de suscripción de {name}: {price} euros al mes."),
    ])
    await rt.store.profiles.update(user.id, {"project_name": f"Proyecto {name}"}, source="user")
    return {"user": user, "conversation": conversation, "file_id": file_id}


async def test_tools_reach_only_the_current_users_history_files_and_profile(client: Any,
                                                                            make_user: Any) -> None:
    rt = client.runtime
    ana = await _seed_user(rt, make_user, "Ana", "9")
    beto = await _seed_user(rt, make_user, "Beto", "50")
    calls = [
        ("search_history", {"query": "precio suscripción"}),
        ("list_files", {}),
        ("search_files", {"query": "precio suscripción"}),
        ("read_file", {"file_id": str(ana["file_id"]), "part": "page:3"}),
        ("read_file", {"file_id": str(beto["file_id"])}),  # someone else's id: must look absent
        ("get_project_profile", {}),
        ("update_project_profile", {"stage": "prototipo", "kind": "startup"}),
    ]
    seen: dict[str, Any] = {}

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = tool_returns_of_this_turn(messages)
        if returns:
            seen.update(returns)
            return answer_for(info)
        return calls_tools_then_answers(calls)(messages, info)

    conversation = await rt.store.conversations.create(ana["user"].id)
    engine = ConversationEngine.from_runtime(rt, model=scripted(script),
                                             triage_model=route_to(Specialist.financial))
    turn = await engine.run_turn(InboundMessage(
        user_id=ana["user"].id, conversation_id=conversation.id, channel="web",
        text="¿Qué precio de suscripción puse?"))
    assert not turn.is_fallback

    as_text = {name: to_json(value).decode() for name, value in seen.items()}
    assert set(as_text) == {name for name, _ in calls}
    everything = " ".join(as_text.values())
    assert "Beto" not in everything and "50 euros" not in everything

    history = json.loads(as_text["search_history"])
    assert len(history) == 1  # Ana's old message; not Beto's, not the question being answered
    assert "9 euros" in history[0]["snippet"] and history[0]["author"] == "user"
    assert history[0]["conversation_title"] == "Precios de Ana" and history[0]["channel"] == "web"
    assert len(history[0]["date"]) == 16  # "YYYY-MM-DD HH:MM"

    files = json.loads(as_text["list_files"])
    assert [f["file_name"] for f in files] == ["plan-Ana.pdf"]
    passages = json.loads(as_text["search_files"])
    assert passages and all(p["file_name"] == "plan-Ana.pdf" for p in passages)
    # a two-chunk file is small: it comes whole, in reading order
    assert [p["location"] for p in passages] == ["page 1", "page 3"]
    assert "9 euros" in passages[1]["text"]
    read = json.loads(as_text["read_file"])  # the last read_file: Beto's id
    assert read == "There is no file with that id among this user's files."
    assert json.loads(as_text["get_project_profile"])["project_name"] == "Proyecto Ana"
    assert json.loads(as_text["update_project_profile"])["stage"] == "prototipo"

    # the profile change is Ana's, recorded with the message that caused it
    assert (await rt.store.profiles.get(ana["user"].id)).stage == "prototipo"
    assert (await rt.store.profiles.get(beto["user"].id)).stage is None
    [change, _initial] = await rt.store.profiles.history(ana["user"].id)
    assert change.source == "advisor" and change.message_id == turn.user_message.id
    assert change.changes == {"stage": "prototipo", "kind": "startup"}


async def test_read_file_returns_the_requested_part_with_its_location(client: Any, make_user: Any) -> None:
    rt = client.runtime
    ana = await _seed_user(rt, make_user, "Ana", "9")
    seen: dict[str, Any] = {}

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = tool_returns_of_this_turn(messages)
        if returns:
            seen.update(returns)
            return answer_for(info)
        return calls_tools_then_answers([("read_file", {"file_id": str(ana["file_id"]),
                                                        "part": "page:3"})])(messages, info)

    conversation = await rt.store.conversations.create(ana["user"].id)
    engine = ConversationEngine.from_runtime(rt, model=scripted(script),
                                             triage_model=route_to(Specialist.financial))
    await engine.run_turn(InboundMessage(user_id=ana["user"].id, conversation_id=conversation.id,
                                         channel="web", text="Lee la página 3"))
    read = json.loads(to_json(seen["read_file"]))
    assert read["file_name"] == "plan-Ana.pdf"
    assert [(p["location"], p["text"]) for p in read["passages"]] == [
        ("page 3", "Precio de suscripción de Ana: 9 euros al mes.")]


async def test_specialist_instructions_carry_prompt_user_profile_channel_and_language(
    client: Any, make_user: Any,
) -> None:
    rt = client.runtime
    user = await make_user("Lucía")
    await rt.store.profiles.update(user.id, {"project_name": "Huerto Urbano", "stage": "idea"},
                                   source="user")
    conversation = await rt.store.conversations.create(user.id, "whatsapp")
    model = scripted(canned_answers)
    engine = ConversationEngine.from_runtime(rt, model=model,
                                             triage_model=route_to(Specialist.marketing, "en"))
    await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                         channel="whatsapp", text="How do I find customers?"))
    instructions = model.infos[0].instructions or ""
    assert load_prompt("marketing") in instructions and load_prompt("common") in instructions
    assert "Lucía" in instructions and "Huerto Urbano" in instructions and "idea" in instructions
    assert "Reply in English (language code: en)" in instructions
    assert "WhatsApp" in instructions
    tools = {t.name for t in model.infos[0].function_tools}
    assert tools == {"search_history", "list_files", "search_files", "read_file",
                     "get_project_profile", "update_project_profile"}


async def test_triage_sees_the_recent_conversation_for_follow_ups(client: Any, make_user: Any) -> None:
    rt = client.runtime
    user = await make_user("Ana")
    conversation = await rt.store.conversations.create(user.id)
    triage = route_to(Specialist.marketing)
    engine = ConversationEngine.from_runtime(rt, model=scripted(canned_answers), triage_model=triage)
    for text in ("Quiero vender mis camisetas online", "¿y cómo le pongo precio?"):
        await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                             channel="web", text=text))
    first, second = (info.instructions or "" for info in triage.infos)
    assert "first message of the conversation" in first
    assert "user: Quiero vender mis camisetas online" in second
    assert "ignacio (marketing): Talk to customers first." in second
    assert "(language code: es)" in second  # the user's preferred language
    # the new message is the prompt itself, not repeated in the recent conversation
    assert "¿y cómo le pongo precio?" not in second


# --- answer types ------------------------------------------------------------------------
@pytest.mark.parametrize("specialist", ADVISORS)
def test_the_model_never_fills_kind_offline_or_language(specialist: Specialist) -> None:
    agent = SPECIALISTS[specialist]
    cls = RESPONSE_TYPES[specialist]
    model_schema = cls.model_json_schema()
    assert not {"kind", "offline", "language"} & set(model_schema["properties"])
    api_schema = cls.model_json_schema(mode="serialization")
    assert {"kind", "offline"} <= set(api_schema["required"])
    assert api_schema["properties"]["kind"]["const"] == specialist.value
    assert agent.name == specialist.value
    dumped = cls.model_validate(
        {k: ([] if "list" in str(f.annotation) else "x") for k, f in cls.model_fields.items()
         if k not in {"kind", "offline", "language"}}
    ).model_dump(mode="json")
    assert dumped["kind"] == specialist.value and dumped["offline"] is False


def test_original_spec_fields_are_kept() -> None:
    assert list(MarketingResponse.model_fields)[-3:] == ["advice", "action_items", "resources"]
    assert list(TechnicalResponse.model_fields)[-3:] == ["solution", "implementation_steps",
                                                         "considerations"]
    pm = RESPONSE_TYPES[Specialist.project_management]
    assert list(pm.model_fields)[-3:] == ["recommendations", "timeline_suggestions", "risk_factors"]
    assert list(FinancialResponse.model_fields)[-4:] == ["analysis", "recommendations",
                                                         "key_figures", "risks"]


def test_output_tool_names() -> None:
    assert answer_tool_name(Specialist.project_management) == "project_management_answer"
    assert triage_agent.name == "triage" and ROUTE_TOOL == "route"


def test_route_normalises_language_codes() -> None:
    assert Route(specialist="marketing", reason=" x ", language="ES-es").language == "es"
    assert Route(specialist="general", reason="x", language="English").language == "en"
    with pytest.raises(ValueError):
        Route(specialist="sales", reason="x", language="es")


def test_renderings_for_web_and_whatsapp() -> None:
    answer = TechnicalResponse(
        solution="## Plan\nUse **Supabase** and *keep it simple*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
                 "* first\n* [docs](https://supabase.com/docs)",
        implementation_steps=["Create the project", "Add **auth**"],
        considerations=["Cost"], language="en",
    )
    markdown = answer.to_markdown()
    assert "**Implementation steps**\n1. Create the project\n2. Add **auth**" in markdown
    assert "**Considerations**\n- Cost" in markdown
    whatsapp = answer_text(answer)
    assert "*Implementation steps*\n1. Create the project\n2. Add *auth*" in whatsapp
    assert "*Plan*" in whatsapp and "*Supabase*" in whatsapp and "_keep it simple_" in whatsapp
    assert "##" not in whatsapp and "**" not in whatsapp and "|" not in whatsapp
    assert "1 · 2" in whatsapp and "- docs (https://supabase.com/docs)" in whatsapp
    spanish = answer.model_copy(update={"language": "es", "offline": True})
    assert "*Pasos de implementación*" in answer_text(spanish)
    assert answer_text(spanish).startswith("_⚠️ Modo sin conexión")
    assert spanish.to_markdown().startswith("_⚠️ Modo sin conexión")


def test_markdown_to_whatsapp_keeps_plain_text() -> None:
    assert to_whatsapp("Hola, ¿qué tal?\n\n- uno\n- dos") == "Hola, ¿qué tal?\n\n- uno\n- dos"
