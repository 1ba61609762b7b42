"""A turn's opening read (``store.turns.start``) returns what the separate reads return: the
user, their conversation only, their current cohort, a pause while it lasts, the profile and
their stored message."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ignacio_agents.store.messages import NewMessage
from ignacio_agents.store.profiles import ProjectProfile


async def test_the_opening_read_matches_the_separate_reads(client: Any, make_user: Any) -> None:
    store = client.runtime.store
    ana, mentor, other = await make_user(), await make_user(), await make_user()
    conversation = await store.conversations.create(ana.id)
    others = await store.conversations.create(other.id)
    cohort = await store.cohorts.create(name="Spring", starts_on=date(2026, 1, 1),
                                        ends_on=date(2027, 12, 31), participant_daily_tokens=500)
    await store.cohorts.add_members(cohort.id, [ana.id])
    await store.cohorts.add_mentor(cohort.id, mentor.id)
    await store.profiles.update(ana.id, {"project_name": "Huerto", "stage": "idea"}, source="user")
    await store.mentoring.pause(conversation.id, mentor.id, timeout_seconds=3600)

    stored = await store.messages.add(NewMessage(
        conversation_id=conversation.id, user_id=ana.id, is_from_user=True, content="Hola",
        channel="whatsapp", external_id="wamid.turn-start"))
    assert stored is not None

    start = await store.turns.start(ana.id, conversation.id, pause_timeout_seconds=3600,
                                    message_id=stored.id)
    assert start.message == await store.messages.get(stored.id, user_id=ana.id)
    assert start.message is not None and start.message.external_id == "wamid.turn-start"
    assert start.user == await store.users.get(ana.id)
    assert start.conversation == await store.conversations.get(conversation.id, user_id=ana.id)
    assert start.cohort == await store.cohorts.current_for(ana.id)
    assert start.cohort is not None and start.cohort.mentor_ids == [mentor.id]
    assert start.pause == await store.mentoring.get_pause(conversation.id, timeout_seconds=3600)
    assert start.pause is not None and start.pause.paused_by_name == mentor.name
    assert start.profile == await store.profiles.get(ana.id)
    assert start.profile.project_name == "Huerto"

    # a pause past its timeout is over, as for get_pause
    over = await store.turns.start(ana.id, conversation.id, pause_timeout_seconds=0)
    assert over.pause is None and over.message is None
    # someone else's conversation looks absent; no cohort, no profile, no pause
    theirs = await store.turns.start(other.id, conversation.id, pause_timeout_seconds=3600,
                                     message_id=stored.id)
    assert theirs.message is None
    assert theirs.user == await store.users.get(other.id)
    assert theirs.conversation is None and theirs.cohort is None
    assert theirs.profile == ProjectProfile()
    assert (await store.turns.start(other.id, others.id, pause_timeout_seconds=None)).pause is None
    nobody = await store.turns.start(uuid.uuid4(), conversation.id, pause_timeout_seconds=None)
    assert nobody.user is None and nobody.conversation is None
