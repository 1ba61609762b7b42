"""Regenerate and Edit & resend: a new answer to the participant's last question (the old one
kept as an alternative), or their last question edited and answered again (the old exchange
hidden from them, kept for the admin). Neither replaced answer is replayed to the model."""

from __future__ import annotations

from itertools import count
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import Specialist
from tests.scripted_models import answer_for, route_to, scripted
from tests.test_web_chat import parse_sse, use_engine


def numbered_answers() -> Any:
    """Each answer says which one it is, and the model records what it was sent."""
    n = count(1)

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return answer_for(info, advice=f"Answer number {next(n)}.")

    return scripted(script)


def sent_text(messages: list[ModelMessage]) -> str:
    return " ".join(str(getattr(p, "content", "")) + str(getattr(p, "args", ""))
                    for m in messages for p in m.parts)


async def _conversation(client: Any, h: dict[str, str], question: str) -> tuple[str, dict[str, Any]]:
    conv = (await client.post("/conversations", json={}, headers=h)).json()
    turn = (await client.post(f"/conversations/{conv['id']}/messages",
                              json={"content": question}, headers=h)).json()
    return conv["id"], turn


async def test_regenerate_keeps_the_old_answer_as_an_alternative(client, make_user, auth_headers):
    model = use_engine(client, model=numbered_answers(),
                       triage_model=route_to(Specialist.marketing)).model
    h = await auth_headers(await make_user())
    conv, first = await _conversation(client, h, "¿Cómo consigo clientes?")
    old = first["message"]
    assert "Answer number 1" in old["content"] and old["reply_to_id"] == first["user_message"]["id"]

    resp = await client.post(f"/conversations/{conv}/messages/{old['id']}/regenerate",
                             headers={**h, "Accept": "text/event-stream"})
    assert resp.status_code == 200
    events = parse_sse(resp.text)
    assert events[-1][0] == "done"
    new = events[-1][1]["message"]
    assert "Answer number 2" in new["content"] and new["id"] != old["id"]
    # the same question, answered again: not stored a second time
    assert events[-1][1]["user_message"]["id"] == first["user_message"]["id"]
    assert new["reply_to_id"] == first["user_message"]["id"] and new["replaced"] is None

    items = (await client.get(f"/conversations/{conv}/messages", headers=h)).json()["items"]
    assert [(m["role"], m["replaced"]) for m in reversed(items)] == [
        ("user", None), ("assistant", "regenerated"), ("assistant", None)]
    # the old answer is not replayed to the model with the question asked again
    assert "Answer number 1" not in sent_text(model.requests[-1])  # type: ignore[attr-defined]

    # only the current last answer can be regenerated
    again = await client.post(f"/conversations/{conv}/messages/{old['id']}/regenerate", headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_last_exchange"


async def test_edit_and_resend_replaces_the_exchange_and_admins_see_both(client, make_user,
                                                                       auth_headers):
    use_engine(client, model=numbered_answers(), triage_model=route_to(Specialist.marketing))
    ana = await make_user("Ana")
    h = await auth_headers(ana)
    conv, first = await _conversation(client, h, "¿Cómo consigo clientes?")
    question = first["user_message"]

    resp = await client.post(f"/conversations/{conv}/messages/{question['id']}/edit",
                             json={"content": "¿Cómo consigo los primeros diez clientes?"}, headers=h)
    assert resp.status_code == 200
    turn = resp.json()
    assert turn["user_message"]["id"] == question["id"] and turn["user_message"]["edited"]
    assert turn["user_message"]["content"] == "¿Cómo consigo los primeros diez clientes?"
    assert "Answer number 2" in turn["message"]["content"]

    items = (await client.get(f"/conversations/{conv}/messages", headers=h)).json()["items"]
    assert [m["content"] for m in reversed(items)] == [
        "¿Cómo consigo los primeros diez clientes?", turn["message"]["content"]]

    admin = await auth_headers(await make_user("Ada", is_admin=True))
    transcript = (await client.get(f"/admin/conversations/{conv}", headers=admin)).json()
    shown = [(m["role"], m["replaced"], m["origin"]["edited_at"] is not None)
             for m in transcript["messages"]]
    assert shown == [("user", None, True), ("assistant", "edited", False),
                     ("assistant", None, False)]
    assert "Answer number 1" in transcript["messages"][1]["content"]
    assert await client.runtime.store.messages.revisions(question["id"]) == [
        "¿Cómo consigo clientes?"]


async def test_only_the_last_question_of_ones_own_conversation_can_be_edited(
        client, make_user, auth_headers):
    use_engine(client, model=numbered_answers(), triage_model=route_to(Specialist.marketing))
    h = await auth_headers(await make_user("Ana"))
    conv, first = await _conversation(client, h, "Primera pregunta")
    await client.post(f"/conversations/{conv}/messages", json={"content": "Segunda"}, headers=h)
    old = await client.post(f"/conversations/{conv}/messages/{first['user_message']['id']}/edit",
                            json={"content": "Otra cosa"}, headers=h)
    assert old.status_code == 409 and old.json()["error"]["code"] == "not_last_exchange"
    blank = await client.post(f"/conversations/{conv}/messages/{first['user_message']['id']}/edit",
                              json={"content": "   "}, headers=h)
    assert blank.status_code == 422
    bob = await auth_headers(await make_user("Bob"))
    other = await client.post(
        f"/conversations/{conv}/messages/{first['message']['id']}/regenerate", headers=bob)
    assert other.status_code == 404
