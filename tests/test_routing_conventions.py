"""The routing conventions the triage prompt states also hold for the keyword router (the
router of last resort), and never by accident: each convention decides the close call it is
written for, before the keyword counts."""

from __future__ import annotations

import pytest

from ignacio_agents.agents.keywords import route_by_keywords
from ignacio_agents.domain import Specialist


@pytest.mark.parametrize(("text", "specialist", "convention"), [
    ("¿Subo la cuota o saco un plan más barato para estudiantes?", Specialist.marketing,
     "estrategia de precio"),
    ("Should we offer a free tier?", Specialist.marketing, "pricing strategy"),
    ("Each mug costs me 6 euros to make: what price gives me a 40% margin?", Specialist.financial,
     "price from costs"),
    ("Is our LTV high enough for what we spend on ads?", Specialist.financial, "unit economics"),
    ("¿Me salen a cuenta los anuncios si cada cliente compra dos veces?", Specialist.financial,
     "economía unitaria"),
    ("For the fair, who does what by when?", Specialist.project_management, "who does what"),
    ("¿Cuánto tiempo nos llevaría montar la app con dos desarrolladores?",
     Specialist.project_management, "cuánto se tarda"),
    ("¿Qué herramienta uso para mandar la newsletter a mis clientes?", Specialist.technical,
     "qué herramienta"),
])
def test_close_calls_follow_the_conventions(text: str, specialist: Specialist, convention: str) -> None:
    route = route_by_keywords(text)
    assert route.specialist is specialist
    assert convention in route.reason


def test_messages_without_a_close_call_still_route_by_keywords() -> None:
    route = route_by_keywords("¿Cómo hago una previsión de tesorería con el flujo de caja?")
    assert route.specialist is Specialist.financial and route.reason.startswith("Palabras clave")
    assert route_by_keywords("Hola, buenos días").specialist is Specialist.general


def test_the_triage_prompt_teaches_with_its_own_examples_not_the_eval_cases() -> None:
    """The prompt's examples illustrate the conventions; copying an eval case into it would
    score the router on what it was shown."""
    from evals.runner import load_dataset
    from ignacio_agents.agents.prompts import load_prompt
    from ignacio_agents.language import fold

    prompt = " ".join(fold(load_prompt("triage")).split())
    for case in load_dataset("routing").cases:
        message = " ".join(fold(case.inputs.message).split())
        assert message[:40] not in prompt, case.name
