"""The welcome a participant gets when they open the chat for the first time.

Meta sends ``request_welcome`` before the participant has written anything. The webhook stores
the welcome as Ignacio's message in their conversation (so the transcript shows it) and queues
this job in the same transaction; the job only delivers it, through the same exactly-once,
part-by-part path (and the same back-off when Graph refuses for now) as every answer.
"""

from __future__ import annotations

import logging
from uuid import UUID

from procrastinate import JobContext

from channels.whatsapp.channel import whatsapp_of
from channels.whatsapp.identity import unseal
from ignacio_agents.delivery import deliver
from ignacio_agents.jobs import runtime_of

log = logging.getLogger(__name__)


async def send_welcome(context: JobContext, message_id: str, to: str) -> None:
    runtime = runtime_of(context)
    channel = whatsapp_of(runtime)
    channel.require_client()
    store = runtime.store.messages
    welcome = await store.get(UUID(message_id))
    if welcome is None:
        log.info("welcome %s is gone (its participant was deleted); nothing to send", message_id)
        return
    recipient = unseal(runtime.store.cipher, to)
    report = await deliver(store, channel, welcome, recipient, None)
    # A refused send is retried with back-off, or held for the window, as any answer is.
    from channels.whatsapp.jobs import Waiting

    await Waiting(runtime, channel, recipient, context.job.attempts).settle(
        report, welcome.conversation_id)
