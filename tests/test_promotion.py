"""Promoting a rated turn into eval cases: identifying details stripped, stored and audited,
exported to the promoted datasets, loaded with their suite and run by the offline eval."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from api.cli import export_eval_cases
from evals.runner import DATASETS_DIR, load_dataset, run_dataset
from evals.tasks import Harness
from ignacio_agents.domain import InboundMessage
from ignacio_agents.engine import ConversationEngine
from ignacio_agents.promotion import dataset_files
from tests.mentor_scenario import scenario_model

QUESTION = ("Soy Ana Ruiz (ana.ruiz@example.org, +34 612 345 678). Cada taza me cuesta 6 euros:"
            " ¿qué precio pongo para ganar un 40 % de margen?")


async def _rated_turn(client: Any, participant: Any) -> Any:
    rt = client.runtime
    model = scenario_model()
    engine = ConversationEngine(rt.store, rt.blobs, rt.settings, model=model, triage_model=model,
                                channels=rt.channels, jobs=rt.jobs)
    conversation = await rt.store.conversations.create(participant.id, "web")
    await engine.run_turn(InboundMessage(user_id=participant.id, conversation_id=conversation.id,
                                         channel="web", text="Hola, vendo tazas de cerámica"))
    turn = await engine.run_turn(InboundMessage(user_id=participant.id,
                                                conversation_id=conversation.id, channel="web",
                                                text=QUESTION))
    await rt.store.feedback.record(turn.message.id, participant.id, -1, tags=["incorrect"])
    return turn


async def test_a_promoted_turn_becomes_a_stripped_case_the_offline_eval_runs(
        client: Any, make_user: Any, auth_headers: Any, tmp_path: Path) -> None:
    admin = await make_user("Admin", is_admin=True)
    participant = await make_user("Ana Ruiz")
    turn = await _rated_turn(client, participant)
    headers = await auth_headers(admin)
    body = {"suites": ["routing", "answer_structure"], "expected_specialist": "financial",
            "notes": "Ana pidió un precio a partir de costes; el router eligió general"}
    response = await client.post(f"/mentor/messages/{turn.message.id}/promote", headers=headers,
                                 json=body)
    assert response.status_code == 201, response.text
    routing, answer = response.json()
    case = routing["case"]
    assert case["expected_output"] == "financial"
    assert case["metadata"] == {"language": "es", "category": "follow_up",
                                "notes": "[nombre] pidió un precio a partir de costes; el router"
                                         " eligió general"}
    message = case["inputs"]["message"]
    assert message.startswith("Soy [nombre] ([email], [teléfono]). Cada taza me cuesta 6 euros")
    assert "Ana" not in str(case) and "612" not in str(case) and "example.org" not in str(case)
    assert case["inputs"]["history"][0] == {"role": "user", "text": "Hola, vendo tazas de cerámica"}
    assert answer["case"]["inputs"]["specialist"] == "financial"
    again = await client.post(f"/mentor/messages/{turn.message.id}/promote", headers=headers,
                              json=body)
    assert again.status_code == 409
    # A participant or a mentor cannot promote.
    mentor = await make_user("Marta")
    await client.runtime.store.users.update(mentor.id, is_mentor=True)
    for who in (participant, mentor):
        refused = await client.post(f"/mentor/messages/{turn.message.id}/promote",
                                    headers=await auth_headers(who), json=body)
        assert refused.status_code == 403
    [audit] = (await client.runtime.store.audit.list(action="eval_case.promote")).items
    assert audit.actor_id == admin.id and audit.target_id == str(turn.message.id)

    # Exported next to a copy of the datasets, loaded with its suite, run offline.
    datasets = tmp_path / "datasets"
    shutil.copytree(DATASETS_DIR, datasets, ignore=shutil.ignore_patterns("promoted"))
    files = dataset_files(await client.runtime.store.eval_cases.all())
    written = export_eval_cases(files, datasets / "promoted")
    assert sorted(p.name for p in written) == ["answer_structure.yaml", "routing.yaml"]
    name = case["name"]
    assert name in [c.name for c in load_dataset("routing", datasets).cases]
    assert answer["case"]["name"] in [c.name for c in load_dataset("answer_structure", datasets).cases]
    result = await run_dataset("routing", Harness(mode="offline", settings=client.runtime.settings),
                               0.0, rubrics={}, directory=datasets)
    assert name in result.passed_cases  # the keyword router's price-from-costs convention
    assert result.total == len(load_dataset("routing", datasets).cases)
