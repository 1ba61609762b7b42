"""What answering one WhatsApp message asks PostgreSQL around the engine's turn (the turn's own
statements are the engine's, counted by its tests): every statement is a round trip and CPU in
the worker and the database, once per message of a cohort's burst. The counts fail if a
redundant read of the stored message, its reply or its deliveries comes back (real app, real
Postgres, fake Graph API on loopback)."""

from __future__ import annotations

from typing import Any

from channels.whatsapp.channel import whatsapp_of
from channels.whatsapp.identity import unseal
from channels.whatsapp.jobs import Answer
from ignacio_agents.domain import DeliveryStatus
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.statements import Statements
from tests.whatsapp_harness import (
    WA_USER,
    advisor_model,
    fetch_all,
    post_webhook,
    sent_texts,
    use_model,
    whatsapp_settings,
)


async def _queued(make_client: Any, make_settings: Any, graph: FakeGraphServer,
                  **settings: Any) -> tuple[Any, Answer]:
    """An app with one participant's message stored and its answer job queued (not run), and
    that job's run, ready to go."""
    app = await make_client(make_settings(run_worker_in_process=False, **settings),
                            whatsapp=whatsapp_settings(graph))
    use_model(app, advisor_model(lambda text: f"re: {text}"))
    await app.runtime.store.users.create("+" + WA_USER, "Ana")
    assert (await post_webhook(app, text_webhook("¿Cómo valido la idea?",
                                                 wa_id=WA_USER))).status_code == 200
    [job] = await fetch_all(app, "select args from procrastinate_jobs"
                            " where task_name = 'whatsapp:answer_message'")
    args = job["args"]
    runtime = app.runtime
    answer = Answer(runtime, whatsapp_of(runtime), _uuid(args["message_id"]),
                    unseal(runtime.store.cipher, args["to"]), args["kind"], args["media"])
    return app, answer


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


def _engine_not_counted(app: Any, statements: Statements) -> None:
    engine = app.runtime.engine
    run_turn = engine.run_turn

    async def uncounted(*args: Any, **kwargs: Any) -> Any:
        with statements.paused():
            return await run_turn(*args, **kwargs)

    engine.run_turn = uncounted


async def test_answering_a_text_is_six_statements_around_the_turn(
    make_client: Any, make_settings: Any, graph: FakeGraphServer, statements: Statements,
):
    app, answer = await _queued(make_client, make_settings, graph)
    _engine_not_counted(app, statements)
    with statements.counting():
        await answer.run()
    [sent] = sent_texts(graph, to="+" + WA_USER)
    assert sent["text"]["body"] == "re: ¿Cómo valido la idea?"
    [reply] = await fetch_all(app, "select id, status from messages where not is_from_user")
    assert reply["status"] == DeliveryStatus.sent.value
    [part] = await fetch_all(app, "select part_index, status from message_deliveries")
    assert (part["part_index"], part["status"]) == (0, "sent")
    # The message (once), who else wrote around it (with whether it is answered and whether
    # its conversation holds replies), after the turn whether it was deleted meanwhile, then
    # the part's wamid with the status roll-up (three statements, one pipelined transaction).
    assert len(statements.sql) == 6, statements.sql
    assert len(statements.transactions) == 1
    assert statements.round_trips == 4
