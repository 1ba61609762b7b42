"""The second channel: a loopback console, registered with one line, answered through the same
channel-neutral path as WhatsApp (store + job in one transaction, answer once, split for the
channel's limit, every part delivered exactly once, statuses rolled up)."""

from __future__ import annotations

from typing import Any

from channels.console import ConsoleChannel
from channels.installed import INSTALLED
from channels.web.channel import WebChannel
from ignacio_agents.channel import SendFailed
from ignacio_agents.domain import DeliveryStatus
from tests.whatsapp_harness import advisor_model, use_model, wait_until

LONG = " ".join(f"palabra{i}" for i in range(120))  # about 1,200 characters


async def _app(make_client: Any, make_settings: Any, console: ConsoleChannel) -> Any:
    app = await make_client(make_settings(run_worker_in_process=True),
                            channels=[WebChannel(), console])
    use_model(app, advisor_model(lambda text: LONG if "largo" in text else f"re: {text}"))
    return app


async def _idle(app: Any) -> None:
    async def idle() -> bool:
        async with app.runtime.db.connection() as conn:
            cur = await conn.execute("select count(*) as n from procrastinate_jobs"
                                     " where status in ('todo', 'doing')")
            return (await cur.fetchone())["n"] == 0

    await wait_until(idle, 15, what="idle queue")


def test_the_console_channel_is_one_registration_line() -> None:
    assert INSTALLED.count("channels.console:ConsoleChannel") == 1


async def test_a_console_message_is_answered_once_split_and_delivered(
    make_client: Any, make_settings: Any, make_user: Any,
) -> None:
    console = ConsoleChannel(text_limit=300)
    app = await _app(make_client, make_settings, console)
    user = await make_user("Ana")
    inbound = await console.receive(app.runtime, user.id, "un texto largo, por favor")
    await wait_until(lambda: _answered(app, inbound.id), 15, what="answer delivered")
    await _idle(app)

    parts = [o.text for o in console.outbox]
    assert len(parts) >= 4 and all(len(p) <= 300 for p in parts)
    assert " ".join(parts).endswith(LONG)  # nothing lost, in order
    assert console.outbox[0].reply_to == inbound.external_id  # the first part quotes it
    assert all(o.reply_to is None for o in console.outbox[1:])
    assert console.read == [inbound.external_id]  # read receipt while composing
    reply = await app.runtime.store.messages.reply_for(inbound.id)
    assert reply.channel == "console" and reply.status is DeliveryStatus.sent
    deliveries = await app.runtime.store.messages.deliveries(reply.id)
    assert [d.part_index for d in deliveries] == list(range(len(parts)))

    # A replayed job (a worker died after sending) sends nothing twice and runs no model.
    await app.runtime.jobs.configure_task("console:answer").defer_async(
        message_id=str(inbound.id), to=str(user.id))
    await _idle(app)
    assert [o.text for o in console.outbox] == parts


async def test_a_failed_part_is_recorded_and_never_resent(
    make_client: Any, make_settings: Any, make_user: Any,
) -> None:
    console = ConsoleChannel(failures=[SendFailed("console_down", retryable=False)])
    app = await _app(make_client, make_settings, console)
    user = await make_user("Bea")
    inbound = await console.receive(app.runtime, user.id, "hola")
    await _idle(app)
    reply = await app.runtime.store.messages.reply_for(inbound.id)
    assert reply.status is DeliveryStatus.failed and reply.error_code == "console_down"
    assert console.outbox == []


async def test_console_conversations_are_read_only_on_the_web(
    make_client: Any, make_settings: Any, make_user: Any, auth_headers: Any,
) -> None:
    console = ConsoleChannel()
    app = await _app(make_client, make_settings, console)
    user = await make_user("Ciro")
    await console.receive(app.runtime, user.id, "hola")
    await _idle(app)
    resp = await app.get("/channels", headers=await auth_headers(user))
    by_name = {c["name"]: c for c in resp.json()}
    assert by_name["console"]["read_only_on_web"] is True
    conversations = (await app.get("/conversations", headers=await auth_headers(user))).json()
    assert [c["channel"] for c in conversations["items"]] == ["console"]


async def _answered(app: Any, message_id: Any) -> bool:
    reply = await app.runtime.store.messages.reply_for(message_id)
    return reply is not None and reply.status is DeliveryStatus.sent
