"""Memory: each turn's PydanticAI messages are stored and replayed, binaries become file
references, and long histories are trimmed to the token budget on turn boundaries."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg.types.json import Jsonb
from pydantic_ai import BinaryContent, ModelMessagesTypeAdapter
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from ignacio_agents.blobs import file_key, iter_bytes
from ignacio_agents.domain import Attachment, InboundMessage, MessageType, Specialist
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.memory import (
    load_history,
    request_tokens,
    strip_binary,
    to_storable,
    trim_to_budget,
)
from ignacio_agents.offline import OfflineModel
from tests.scripted_models import answer_for, canned_answers, request_text, route_to, scripted

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c"
    "6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


def _turn(i: int, words: int = 40) -> list[ModelMessage]:
    question = f"question-{i} " + " ".join(f"palabra{i}x{j}" for j in range(words))
    return [
        ModelRequest(parts=[UserPromptPart(question)]),
        ModelResponse(parts=[ToolCallPart("marketing_answer", {
            "advice": f"answer-{i} " + "consejo " * words, "action_items": [f"step-{i}"],
            "resources": []}, tool_call_id=f"c{i}")]),
        ModelRequest(parts=[ToolReturnPart("marketing_answer", "Final result processed.",
                                           tool_call_id=f"c{i}")]),
    ]


async def test_second_turn_request_contains_the_first_turn(client: Any, make_user: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    model = scripted(canned_answers)
    engine = ConversationEngine.from_runtime(rt, model=model, triage_model=route_to(Specialist.marketing))
    first = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                 channel="web", text="Vendo camisetas"))
    await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                         channel="web", text="¿Y el precio?"))
    second_request = model.requests[1]
    text = request_text(second_request)
    assert "Vendo camisetas" in text  # the first question
    assert first.answer.advice in text  # the first answer, as the model gave it (tool call)
    assert "¿Y el precio?" in text
    # stored append-only on the assistant row, and exactly what the first run produced
    rows = await rt.store.messages.model_history_within(conversation.id, 10**9)
    history = load_history(rows)
    assert sum(isinstance(m, ModelResponse) for m in history) == 2
    assert all(m.instructions is None for m in history if isinstance(m, ModelRequest))


async def test_a_300_turn_conversation_stays_under_budget_with_newest_turns_and_question(
    client: Any, make_user: Any,
) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    async with rt.db.transaction() as conn:  # 300 stored turns, inserted in one transaction
        for i in range(300):
            await conn.execute(
                "insert into messages (conversation_id, user_id, is_from_user, content, agent,"
                " model_messages, usage, created_at) values (%s, %s, false, %s, 'marketing', %s, %s,"
                " now() - make_interval(secs => %s))",
                (conversation.id, user.id, f"answer-{i}", Jsonb(to_storable(_turn(i))),
                 Jsonb({"history_tokens": request_tokens(_turn(i))}), 300 - i),
            )
    budget = 1500
    loaded = load_history(await rt.store.messages.model_history_within(conversation.id, budget))
    per_turn = request_tokens(_turn(299))
    # only the turns the budget can hold, plus the one that crosses it
    assert sum(isinstance(m, ModelResponse) for m in loaded) == budget // per_turn + 1
    model = scripted(canned_answers)
    settings = rt.settings.model_copy(update={"history_token_budget": budget})
    engine = ConversationEngine(rt.store, rt.blobs, settings, model=model,
                                triage_model=route_to(Specialist.marketing))
    turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                channel="web", text="the current question"))
    assert not turn.is_fallback
    sent = model.requests[0]
    assert request_tokens(sent) <= budget
    text = request_text(sent)
    assert "the current question" in text
    assert "question-299 " in text and "answer-299 " in text  # the newest turn
    assert "question-0 " not in text and "question-250 " not in text
    # whole turns only: every kept question still has its answer
    kept = [i for i in range(300) if f"question-{i} " in text]
    assert kept == list(range(kept[0], 300)) and all(f"answer-{i} " in text for i in kept)
    assert len(kept) >= 3


def test_trim_keeps_the_current_turn_even_over_budget() -> None:
    history = [m for i in range(5) for m in _turn(i)]
    current = ModelRequest(parts=[UserPromptPart("now " * 2000)])
    trimmed = trim_to_budget([*history, current], budget=100)
    assert trimmed == [current]
    generous = trim_to_budget([*history, current], budget=10**6)
    assert len(generous) == len(history) + 1


def test_binary_content_is_stored_as_a_file_reference() -> None:
    image = BinaryContent(data=PNG, media_type="image/png", identifier="file-123")
    messages: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart(["look at this", image])]),
        ModelResponse(parts=[TextPart("nice logo")]),
    ]
    stored = to_storable(messages)
    dumped = str(stored)
    assert "file-123" in dumped and "image/png" in dumped
    assert "binary" not in dumped and "iVBOR" not in dumped  # no base64 PNG
    restored = load_history(stored)
    assert restored[0].parts[0].content[0] == "look at this"  # type: ignore[union-attr,index]
    assert strip_binary(messages)[1] is messages[1]


def test_unreadable_stored_rows_are_skipped() -> None:
    good = to_storable(_turn(1))
    rows = [*good, {"kind": "request", "parts": [{"part_kind": "nonsense"}]}]
    history = load_history(rows)
    assert ModelMessagesTypeAdapter.dump_python(history, mode="json")
    assert "question-1" in request_text(history)


async def _image_attachment(rt: Any, user: Any) -> Attachment:
    file_id = uuid.uuid4()
    key = file_key(user.id, file_id, "logo.png")
    await rt.blobs.put(key, iter_bytes(PNG), "image/png")
    await rt.store.files.create(file_id=file_id, user_id=user.id, file_name="logo.png", file_path=key,
                                file_type="image/png", file_size=len(PNG), kind=MessageType.image,
                                extraction_status="not_applicable")
    return Attachment(file_id=file_id, file_name="logo.png", content_type="image/png",
                      kind=MessageType.image, size=len(PNG))


async def test_images_go_to_the_model_but_history_keeps_a_reference(client: Any, make_user: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    attachment = await _image_attachment(rt, user)
    model = scripted(lambda messages, info: answer_for(info))
    # A scripted model is on no list of models that see images: image input is switched on.
    settings = rt.settings.model_copy(update={"pydantic_ai_image_input": "on"})
    engine = ConversationEngine(rt.store, rt.blobs, settings, model=model,
                                triage_model=route_to(Specialist.marketing))
    turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                channel="web", text="¿Qué tal mi logo?",
                                                attachments=[attachment]))
    prompt = model.requests[0][-1].parts[-1].content  # type: ignore[union-attr]
    images = [c for c in prompt if isinstance(c, BinaryContent)]
    assert len(images) == 1 and images[0].data == PNG and images[0].media_type == "image/png"
    assert f"logo.png (file_id {attachment.file_id})" in prompt[0]
    assert turn.user_message.file_id == attachment.file_id
    assert turn.user_message.message_type is MessageType.image

    rows = await rt.store.messages.model_history_within(conversation.id, 10**9)
    assert str(attachment.file_id) in str(rows) and "binary" not in str(rows)

    # next turn: the model sees the reference, not the image again
    await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                         channel="web", text="¿Y los colores?"))
    again = request_text(model.requests[1])
    assert str(attachment.file_id) in again and "binary" not in again


async def test_a_model_without_image_input_gets_only_the_reference(client: Any, make_user: Any) -> None:
    rt = client.runtime
    user = await make_user()
    conversation = await rt.store.conversations.create(user.id)
    attachment = await _image_attachment(rt, user)
    engine = ConversationEngine.from_runtime(rt, model=OfflineModel())
    turn = await engine.run_turn(InboundMessage(user_id=user.id, conversation_id=conversation.id,
                                                channel="web", text="", attachments=[attachment]))
    assert not turn.is_fallback
    assert "logo.png" in str(await rt.store.messages.model_history_within(conversation.id, 10**9))
