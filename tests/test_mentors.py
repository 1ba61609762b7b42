"""Mentors in the loop, end to end: the real app and worker on a fresh Postgres, our Graph
client talking HTTP to the fake Graph server, and a scripted model whose requests are kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ignacio_agents.agents.routing import ROUTE_TOOL
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    fetch_all,
    last_user_text,
    post_webhook,
    scalar,
    sent_texts,
    use_model,
    wait_for_idle_queue,
    wait_until,
    whatsapp_settings,
)

MENTOR_PHONE = "+34612000099"


class CapturingModel:
    """Routes by the keyword router's rule for people (``human``) or to ``general``, answers
    "respuesta N", and keeps every specialist request's messages."""

    def __init__(self) -> None:
        self.requests: list[list[Any]] = []

    def model(self) -> FunctionModel:
        from ignacio_agents.agents.keywords import HUMAN_REQUEST
        from ignacio_agents.language import fold

        async def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
            tool = info.output_tools[0].name
            if tool == ROUTE_TOOL:
                text = " " + fold(last_user_text(messages)) + " "
                specialist = "human" if HUMAN_REQUEST.search(text) else "general"
                return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
                    "specialist": specialist, "reason": "scripted", "language": "es"})])
            self.requests.append(list(messages))
            return ModelResponse(parts=[ToolCallPart(tool, {
                "message": f"respuesta {len(self.requests)}", "follow_up_questions": []})])

        return FunctionModel(respond, model_name="mentor-e2e")


async def headers_for(app: Any, user: Any) -> dict[str, str]:
    from api.tokens import issue_access_token
    from ignacio_agents.crypto import new_token

    rt = app.runtime
    session = await rt.store.sessions.create(user.id, new_token(), timedelta(days=1))
    return {"Authorization": f"Bearer {issue_access_token(rt.settings, user.id, session.id, user.is_admin)}"}


@pytest.fixture
async def setup(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    # No sampled feedback prompts here (the prompt has its own test below).
    app = await make_client(make_settings(**WORKER, feedback_prompt_percent=0),
                            whatsapp=whatsapp_settings(graph))
    settings = app.runtime.channels.by_name("whatsapp").settings
    for name in (settings.mentor_alert_template, settings.mentor_reply_template):
        graph.templates.add((name, settings.mentor_template_language))  # approved on the account
    model = CapturingModel()
    use_model(app, model.model())
    store = app.runtime.store
    participant = await store.users.create("+" + WA_USER, "Ana")
    mentor = await store.users.create(MENTOR_PHONE, "Marta")
    mentor = await store.users.update(mentor.id, is_mentor=True)
    await store.mentoring.assign(mentor.id, participant.id, assigned_by=None)
    return app, model, participant, mentor, await headers_for(app, mentor)


async def write(app: Any, graph: FakeGraphServer, text: str) -> None:
    assert (await post_webhook(app, text_webhook(text, wa_id=WA_USER))).status_code == 200
    await wait_for_idle_queue(app, timeout=20)


def to_participant(graph: FakeGraphServer) -> list[dict[str, Any]]:
    return [m for m in graph.sent_messages() if m.get("to") == "+" + WA_USER]


async def conversation_id(app: Any) -> str:
    return str(await scalar(app, "select id from conversations where channel = 'whatsapp'"))


async def test_pause_reply_resume_on_whatsapp(setup: Any, graph: FakeGraphServer) -> None:
    app, model, _participant, mentor, headers = setup
    await write(app, graph, "Hola, tengo una duda")
    assert [m["text"]["body"] for m in sent_texts(graph, "+" + WA_USER)] == ["respuesta 1"]
    conv = await conversation_id(app)

    paused = await app.post(f"/mentor/conversations/{conv}/pause", headers=headers)
    assert paused.status_code == 200 and paused.json()["paused_by"]["name"] == "Marta"
    await write(app, graph, "¿Sigue ahí alguien?")
    await write(app, graph, "Quería preguntar por la subvención del ayuntamiento")
    assert len(model.requests) == 1 and len(sent_texts(graph, "+" + WA_USER)) == 1  # no AI answer
    transcript = (await app.get(f"/mentor/conversations/{conv}", headers=headers)).json()
    assert transcript["pause"] is not None
    assert [m["content"] for m in transcript["messages"] if m["role"] == "user"][-2:] == [
        "¿Sigue ahí alguien?", "Quería preguntar por la subvención del ayuntamiento"]

    sent = await app.post(f"/mentor/conversations/{conv}/messages", headers=headers,
                          json={"content": "Hola Ana, soy Marta. La subvención cierra el día 15."})
    assert sent.status_code == 201 and sent.json()["author_name"] == "Marta"
    await wait_until(lambda: _count(graph, 2), timeout=20, what="mentor message sent")
    await _settle_mentoring_jobs(app)
    mentor_texts = sent_texts(graph, "+" + WA_USER)[1:]
    assert [m["text"]["body"] for m in mentor_texts] == [
        "*Mentor · Marta*\nHola Ana, soy Marta. La subvención cierra el día 15."]  # once
    [row] = await fetch_all(app, "select status, author_id, agent from messages where id = %s",
                            sent.json()["id"])
    assert row["author_id"] == mentor.id and row["agent"] is None and row["status"] == "sent"

    assert (await app.post(f"/mentor/conversations/{conv}/resume", headers=headers)).status_code == 204
    await write(app, graph, "Vale, ¿y qué documentos necesito?")
    assert [m["text"]["body"] for m in sent_texts(graph, "+" + WA_USER)][-1] == "respuesta 2"

    # The AI's next request holds the paused messages and the mentor's, marked as a mentor's
    # words in a user-side part (never as a response of its own).
    history = model.requests[-1]
    user_parts = [p.content for m in history if isinstance(m, ModelRequest)
                  for p in m.parts if isinstance(p, UserPromptPart)]
    responses = [p.content for m in history if isinstance(m, ModelResponse)
                 for p in m.parts if isinstance(p, TextPart)]
    mentor_parts = [c for c in user_parts if "La subvención cierra el día 15" in str(c)]
    assert len(mentor_parts) == 1 and "human mentor" in mentor_parts[0]
    assert "Marta" in mentor_parts[0] and "not Ignacio's" in mentor_parts[0]
    assert not any("La subvención cierra" in str(c) for c in responses)
    assert "¿Sigue ahí alguien?" in user_parts
    assert "Quería preguntar por la subvención del ayuntamiento" in user_parts

    actions = [a["action"] for a in await fetch_all(
        app, "select action from audit_log where actor_id = %s order by id", mentor.id)]
    assert actions == ["conversation.pause", "transcript.view", "conversation.reply",
                       "conversation.resume"]


async def _count(graph: FakeGraphServer, n: int) -> bool:
    return len(to_participant(graph)) >= n


@pytest.mark.parametrize("known", [True, False], ids=["by-our-records", "as-meta-answers"])
async def test_outside_the_window_the_mentor_writes_with_the_template(
        setup: Any, graph: FakeGraphServer, known: bool) -> None:
    app, _model, _participant, _mentor, headers = setup
    await write(app, graph, "Hola")
    conv = await conversation_id(app)
    # The participant last wrote 25 hours ago: the 24-hour window has closed (or only Meta
    # knows it: the text is refused with 131047 and the template goes instead).
    if known:
        async with app.runtime.db.connection() as c:
            await c.execute("update messages set created_at = now() - interval '25 hours'"
                            " where is_from_user")
    graph.close_window("+" + WA_USER)  # Meta refuses anything but a template now
    sent = await app.post(f"/mentor/conversations/{conv}/messages", headers=headers,
                          json={"content": "¿Cómo fue la reunión\ncon el banco?"})
    assert sent.status_code == 201
    await wait_until(lambda: _count(graph, 2), timeout=20, what="template sent")
    template = to_participant(graph)[-1]
    settings = app.runtime.channels.by_name("whatsapp").settings
    assert template["type"] == "template"
    assert template["template"]["name"] == settings.mentor_reply_template
    params = template["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["Marta", "¿Cómo fue la reunión con el banco?"]
    await _settle_mentoring_jobs(app)
    assert await scalar(app, "select status from messages where id = %s", sent.json()["id"]) == "sent"


async def test_a_pause_without_activity_ends_by_itself_silently(setup: Any,
                                                               graph: FakeGraphServer) -> None:
    app, _model, _participant, _mentor, headers = setup
    await write(app, graph, "Hola")
    conv = await conversation_id(app)
    assert (await app.post(f"/mentor/conversations/{conv}/pause", headers=headers)).status_code == 200
    timeout = app.runtime.settings.mentor_pause_timeout_seconds
    async with app.runtime.db.connection() as c:  # no human activity for longer than the timeout
        await c.execute("update conversation_pauses set last_activity_at = now()"
                        " - make_interval(secs => %s::float8 + 60)", (timeout,))
    await write(app, graph, "¿Me ayudas con el plan?")
    # Answered by the AI, and nothing at all was said about the pause ending.
    assert [m["text"]["body"] for m in sent_texts(graph, "+" + WA_USER)] == [
        "respuesta 1", "respuesta 2"]
    assert len(to_participant(graph)) == 2


async def test_asking_for_a_person_tells_the_mentor_once_an_hour(setup: Any,
                                                                graph: FakeGraphServer) -> None:
    app, model, _participant, _mentor, headers = setup
    await write(app, graph, "quiero hablar con una persona")
    [told] = sent_texts(graph, "+" + WA_USER)
    assert told["text"]["body"].startswith("He avisado a tu mentor")
    assert model.requests == []  # no specialist ran

    await wait_until(lambda: _alerts(graph, 1), timeout=20, what="mentor alerted")
    await write(app, graph, "¿Puedo hablar con mi mentora, por favor?")
    await wait_for_idle_queue(app, timeout=20)
    await _settle_mentoring_jobs(app)
    alerts = [m for m in graph.sent_messages() if m.get("to") == MENTOR_PHONE]
    settings = app.runtime.channels.by_name("whatsapp").settings
    assert len(alerts) == 1  # the second request within the hour alerts no one
    assert alerts[0]["template"]["name"] == settings.mentor_alert_template
    assert alerts[0]["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Ana"}]

    queue = (await app.get("/mentor/queue", headers=headers)).json()["items"]
    assert [i["kind"] for i in queue] == ["mentor_request", "mentor_request"]
    counts = (await app.get("/mentor/queue/counts", headers=headers)).json()
    assert counts == {"total": 2, "by_kind": {"mentor_request": 2}}
    [row] = await fetch_all(app, "select agent from messages where not is_from_user"
                            " order by created_at desc limit 1")
    assert row["agent"] == "human"

    # The mentor answering resolves the requests.
    conv = await conversation_id(app)
    await app.post(f"/mentor/conversations/{conv}/messages", headers=headers,
                   json={"content": "Aquí estoy, Ana."})
    assert (await app.get("/mentor/queue/counts", headers=headers)).json()["total"] == 0


async def _alerts(graph: FakeGraphServer, n: int) -> bool:
    return len([m for m in graph.sent_messages() if m.get("to") == MENTOR_PHONE]) >= n


async def _settle_mentoring_jobs(app: Any) -> None:
    async def idle() -> bool:
        return await scalar(app, "select count(*) from procrastinate_jobs where task_name like"
                            " 'mentoring:%%' and status in ('todo', 'doing')") == 0

    await wait_until(idle, timeout=20, what="idle mentoring jobs")


# --- the WhatsApp feedback prompt --------------------------------------------------------------


@pytest.fixture
async def prompting(make_client: Any, make_settings: Any, graph: FakeGraphServer) -> Any:
    app = await make_client(make_settings(**WORKER, feedback_prompt_percent=100),
                            whatsapp=whatsapp_settings(graph))
    model = CapturingModel()
    use_model(app, model.model())
    participant = await app.runtime.store.users.create("+" + WA_USER, "Ana")
    return app, model, participant


def prompts(graph: FakeGraphServer) -> list[dict[str, Any]]:
    return [m for m in to_participant(graph) if m.get("type") == "interactive"]


async def tap(app: Any, title: str) -> None:
    from tests.fakes.graph import message_item, webhook_payload

    item = message_item("interactive", {"type": "button_reply", "button_reply": {
        "id": "feedback:x", "title": title}}, wa_id=WA_USER)
    assert (await post_webhook(app, webhook_payload([item]))).status_code == 200
    await wait_for_idle_queue(app, timeout=20)


async def test_the_feedback_prompt_rates_the_answer_once_a_day_until_opted_out(
        prompting: Any, graph: FakeGraphServer) -> None:
    app, model, participant = prompting
    store = app.runtime.store
    await write(app, graph, "¿Cómo preparo el pitch?")
    [prompt] = prompts(graph)
    buttons = prompt["interactive"]["action"]["buttons"]
    assert prompt["interactive"]["body"]["text"] == "¿Te ha servido? 👍 / 👎"
    assert [b["reply"]["title"] for b in buttons] == ["👍 Sí", "👎 No", "No más encuestas"]
    [first] = await fetch_all(app, "select id from messages where not is_from_user")

    await write(app, graph, "¿Y cuánto debe durar?")
    assert len(prompts(graph)) == 1  # never twice a day
    await tap(app, "👎 No")
    feedback = await store.feedback.get(first["id"])
    assert feedback is not None and feedback.value == -1 and feedback.source == "whatsapp"
    assert len(model.requests) == 2  # the tap is no question for the model
    assert sent_texts(graph, "+" + WA_USER)[-1]["text"]["body"].startswith("Gracias por decírmelo")
    queue = (await store.attention.open()).items
    assert [(i.kind.value, i.message_id) for i in queue] == [("thumbs_down", first["id"])]

    await tap(app, "No más encuestas")
    assert await store.feedback.opted_out(participant.id)
    async with app.runtime.db.connection() as c:  # a day later...
        await c.execute("update feedback_prompts set last_prompted_at = now() - interval '2 days'")
    await write(app, graph, "Otra pregunta sobre el pitch")
    assert len(model.requests) == 3 and len(prompts(graph)) == 1  # ...still no prompt


def test_the_prompt_goes_after_at_most_the_configured_share_of_answers() -> None:
    import uuid

    from channels.whatsapp.feedback_prompt import sampled

    ids = [uuid.uuid4() for _ in range(4000)]
    share = sum(sampled(i, 10) for i in ids) / len(ids)
    assert 0.07 < share < 0.13
    assert not any(sampled(i, 0) for i in ids) and all(sampled(i, 100) for i in ids)
    assert [sampled(i, 10) for i in ids[:50]] == [sampled(i, 10) for i in ids[:50]]  # stable
