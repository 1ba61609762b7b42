"""Long answers on a phone: a short first part, then the rest in parts WhatsApp accepts, sent
in order and paced per participant (Meta allows about one message per 6 s to one user, with
short bursts). The real app and worker, our Graph client talking HTTP to the fake Graph API,
which records when each send arrived."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from channels.whatsapp.formatting import WHATSAPP_TEXT_LIMIT, message_length
from channels.whatsapp.render import short_first
from tests.fakes.graph import FakeGraphServer, text_webhook
from tests.whatsapp_harness import (
    WA_USER,
    WORKER,
    advisor_model,
    fetch_all,
    post_webhook,
    use_model,
    wait_for_idle_queue,
    whatsapp_settings,
)

FIRST = 200
GAP = 0.4


def paragraph(n: int, words: int) -> str:
    return " ".join(f"p{n}w{i}" for i in range(words)) + "."


# An opening paragraph that fits the short first part, then about 9,000 characters more.
LONG = "\n\n".join([paragraph(0, 20), *(paragraph(n, 110) for n in range(1, 13))])


def words(text: str) -> list[str]:
    return text.split()


def test_a_short_answer_is_one_part_and_a_long_one_starts_short() -> None:
    assert short_first("Hola. ¿Qué tal?", FIRST) == ["Hola. ¿Qué tal?"]
    assert short_first("x " * 150, FIRST) == [("x " * 150).strip()]  # not twice the first part
    parts = short_first(LONG, FIRST)
    assert parts[0] == paragraph(0, 20) and message_length(parts[0]) <= FIRST
    assert len(parts) == 4 and all(message_length(p) <= WHATSAPP_TEXT_LIMIT for p in parts)
    assert words(" ".join(parts)) == words(LONG)  # nothing lost, nothing reordered
    # One long paragraph: the first part ends at a sentence that fits.
    prose = " ".join(f"Frase número {i} con algo de contenido." for i in range(60))
    first, *rest = short_first(prose, FIRST)
    assert message_length(first) <= FIRST and first.endswith(".") and rest
    assert words(" ".join([first, *rest])) == words(prose)
    # No short first part asked for: parts of at most 4096 as before.
    assert len(short_first(LONG, None)) == 3


async def test_a_long_answer_arrives_as_a_short_first_part_then_the_rest_paced_in_order(
    make_client: Any, make_settings: Any, graph: FakeGraphServer,
):
    app = await make_client(make_settings(**WORKER), whatsapp=whatsapp_settings(
        graph, first_part_chars=FIRST, part_gap_seconds=GAP))
    use_model(app, advisor_model(lambda _text: LONG))
    await app.runtime.store.users.create("+" + WA_USER, "Ana")
    question = text_webhook("cuéntamelo todo", wa_id=WA_USER)
    assert (await post_webhook(app, question)).status_code == 200

    await graph.wait_for_messages_async(4, timeout=30)
    await wait_for_idle_queue(app)
    sends = [r for r in graph.requests
             if r.ok and r.path.endswith("/messages") and (r.json or {}).get("type") == "text"]
    bodies = [r.json["text"]["body"] for r in sends]
    assert len(bodies) == 4
    assert message_length(bodies[0]) <= FIRST
    assert all(message_length(b) <= WHATSAPP_TEXT_LIMIT for b in bodies)
    assert words(" ".join(bodies)) == words(LONG)  # in order, every word once
    # Only the first part quotes the question.
    wamid = question["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert [("context" in r.json) for r in sends] == [True, False, False, False]
    assert sends[0].json["context"]["message_id"] == wamid
    gaps = [b.at - a.at for a, b in pairwise(sends)]
    assert all(gap >= GAP - 0.02 for gap in gaps), gaps  # paced by the setting
    rows = await fetch_all(app, "select d.part_index, d.status from message_deliveries d"
                           " join messages m on m.id = d.message_id where not m.is_from_user"
                           " order by d.part_index")
    assert [(r["part_index"], r["status"]) for r in rows] == [(i, "sent") for i in range(4)]
