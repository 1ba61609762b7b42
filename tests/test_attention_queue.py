"""The attention queue from a seeded scenario: every kind of item appears, newest first, with
a link to its message; claim, snooze and resolve are audited; counts feed the navigation."""

from __future__ import annotations

from typing import Any

from ignacio_agents.store.attention import AttentionKind
from tests.mentor_scenario import ASK_PERSON, BREAKS, OUT_OF_SCOPE, REPEATED, seed_attention


async def test_every_kind_reaches_the_queue_and_resolving_removes_it(
        client: Any, make_user: Any, auth_headers: Any) -> None:
    admin = await make_user("Admin", is_admin=True)
    participant = await make_user("Ana")
    seeded = await seed_attention(client.runtime, participant)
    participant_headers = await auth_headers(participant)
    rated = seeded["rated"]
    # The participant's 👎 with a reason, through the web API.
    vote = await client.post(f"/messages/{rated.id}/feedback", headers=participant_headers,
                             json={"value": -1, "tags": ["unclear", "unclear", "too_long"],
                                   "comment": "No entiendo los pasos"})
    assert vote.status_code == 200 and vote.json()["feedback"] == -1

    headers = await auth_headers(admin)
    items = (await client.get("/mentor/queue", headers=headers)).json()["items"]
    by_kind = {i["kind"]: i for i in items}
    assert set(by_kind) == {k.value for k in AttentionKind}
    assert [i["created_at"] for i in items] == sorted((i["created_at"] for i in items), reverse=True)
    store = client.runtime.store
    excerpts = {k: by_kind[k]["excerpt"] for k in by_kind}
    assert excerpts["mentor_request"] == ASK_PERSON
    assert excerpts["out_of_scope"] == OUT_OF_SCOPE
    assert excerpts["repeated_question"] == REPEATED
    fallback = await store.messages.get(by_kind["fallback"]["message_id"])
    assert fallback.is_fallback
    assert (await store.messages.get(fallback.reply_to_id)).content == BREAKS
    down = by_kind["thumbs_down"]
    assert down["message_id"] == str(rated.id)
    assert down["feedback_tags"] == ["unclear", "too_long"]
    assert down["feedback_comment"] == "No entiendo los pasos"
    assert all(i["conversation_id"] == str(seeded["conversation"].id) for i in items)
    assert all(i["participant"]["name"] == "Ana" for i in items)
    counts = (await client.get("/mentor/queue/counts", headers=headers)).json()
    assert counts["total"] == 6 and set(counts["by_kind"].values()) == {1}

    # Claim, snooze, resolve.
    claimed = await client.post(f"/mentor/queue/{down['id']}/claim", headers=headers)
    assert claimed.json()["claimed_by"]["name"] == "Admin"
    snooze = await client.post(f"/mentor/queue/{by_kind['fallback']['id']}/snooze",
                               headers=headers, json={"minutes": 60})
    assert snooze.status_code == 200 and snooze.json()["snoozed_until"]
    resolved = await client.post(f"/mentor/queue/{down['id']}/resolve", headers=headers,
                                 json={"note": "Le escribí con los pasos más claros"})
    assert resolved.status_code == 204
    left = {i["kind"] for i in (await client.get("/mentor/queue", headers=headers)).json()["items"]}
    assert left == {k.value for k in AttentionKind} - {"thumbs_down", "fallback"}
    counts = (await client.get("/mentor/queue/counts", headers=headers)).json()
    assert counts["total"] == 4
    snoozed = (await client.get("/mentor/queue", headers=headers,
                                params={"include_snoozed": True})).json()["items"]
    assert "fallback" in {i["kind"] for i in snoozed}
    again = await client.post(f"/mentor/queue/{down['id']}/resolve", headers=headers,
                              json={"note": "otra vez"})
    assert again.status_code == 404  # gone from the queue

    audit = (await store.audit.list(actor_id=admin.id)).items
    actions = {a.action: a for a in audit}
    assert {"queue.claim", "queue.snooze", "queue.resolve"} <= set(actions)
    assert actions["queue.resolve"].target_id == down["id"]
    assert actions["queue.resolve"].details["note"] == "Le escribí con los pasos más claros"


async def test_a_participant_cannot_rate_someone_elses_answer(client: Any, make_user: Any,
                                                              auth_headers: Any) -> None:
    owner, other = await make_user("Ana"), await make_user("Bruno")
    seeded = await seed_attention(client.runtime, owner)
    response = await client.post(f"/messages/{seeded['rated'].id}/feedback",
                                 headers=await auth_headers(other),
                                 json={"value": -1, "tags": ["incorrect"]})
    assert response.status_code == 404
    assert await client.runtime.store.feedback.get(seeded["rated"].id) is None
    bad = await client.post(f"/messages/{seeded['rated'].id}/feedback",
                            headers=await auth_headers(owner), json={"value": -1, "tags": ["rude"]})
    assert bad.status_code == 422
