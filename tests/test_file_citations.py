"""The advisor cites the user's files: a scripted specialist searches them and quotes the
location it found (file name, page / cell range)."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo

from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.file_jobs import run_extraction
from tests.filegen import PDF_PHRASE, XLSX_VALUE, make_pdf, make_xlsx
from tests.scripted_models import ANSWER_TOOLS, current_turn, route_to, scripted


async def test_specialist_turn_cites_a_pdf_page_and_a_spreadsheet_cell(client, make_user,
                                                                       auth_headers):
    user = await make_user("Ana")
    h = await auth_headers(user)
    ids = []
    for name, data, mime in (("deck.pdf", make_pdf(), "application/pdf"),
                             ("budget.xlsx", make_xlsx(),
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        resp = await client.post("/files/upload", files={"file": (name, data, mime)}, headers=h)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    for file_id in ids:
        assert await run_extraction(client.runtime, file_id) == "done"

    seen: list[Any] = []

    def cite(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        passages = [p for part in search_returns(messages) for p in part]
        if not passages:
            return ModelResponse(parts=[
                ToolCallPart("search_files", {"query": "lighthouse members"}, tool_call_id="a"),
                ToolCallPart("search_files", {"query": str(XLSX_VALUE)}, tool_call_id="b"),
            ])
        seen.extend(passages)
        citations = [f"{p.file_name}, {p.location}" for p in passages]
        tool = info.output_tools[0].name
        assert ANSWER_TOOLS[tool] is Specialist.financial
        return ModelResponse(parts=[ToolCallPart(tool, {
            "analysis": "Según tus archivos: " + "; ".join(citations),
            "recommendations": ["Revisa " + citations[0]], "key_figures": citations, "risks": ["-"],
        })])

    engine = ConversationEngine.from_runtime(
        client.runtime, model=scripted(cite), triage_model=route_to(Specialist.financial))
    conv = await client.runtime.store.conversations.create(user.id, "web")
    turn = await engine.run_turn(InboundMessage(
        user_id=user.id, conversation_id=conv.id, channel="web",
        text="¿Cuántos miembros esperamos y cuánto es el presupuesto?"))
    figures: list[str] = turn.answer.key_figures  # type: ignore[union-attr]
    assert any(f.startswith("deck.pdf, page 3") for f in figures), figures
    sheet = next(f for f in figures if f.startswith("budget.xlsx, Budget!"))
    col_row = sheet.split("!")[1]
    first, _, last = col_row.partition(":")
    assert first[0] <= "B" <= (last or first)[0] and int(first[1:]) <= 7 <= int((last or first)[1:])
    stored: Any = turn.message
    assert "deck.pdf, page 3" in stored.content and stored.agent == "financial"
    pdf_text = " ".join(p.text for p in seen if p.file_name == "deck.pdf").replace("**", "")
    assert "lighthouse cooperative" in pdf_text and PDF_PHRASE.split()[-1] in pdf_text


def search_returns(messages: list[ModelMessage]) -> list[Any]:
    """Every search_files result of the current turn (two calls, two results)."""
    return [p.content for m in current_turn(messages) if isinstance(m, ModelRequest)
            for p in m.parts if isinstance(p, ToolReturnPart) and p.tool_name == "search_files"]
