"""Recall: history and file search match any of the words, ranked, in Spanish and English,
hand over snippets without markup, and read small files whole."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any
from uuid import UUID

import pytest

from ignacio_agents.crypto import PhoneCipher
from ignacio_agents.db import Database
from ignacio_agents.domain import MessageType
from ignacio_agents.recall import SMALL_FILE_TOKENS, Recall
from ignacio_agents.store import Store
from ignacio_agents.store.files import ChunkIn
from ignacio_agents.store.messages import NewMessage


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
async def store(conninfo: str) -> Any:
    db = await Database.open(conninfo, min_size=1, max_size=4)
    try:
        yield Store(db, PhoneCipher.from_settings(_key(), _key()))
    finally:
        await db.close()


async def _chat(store: Store, user_id: UUID, title: str, *texts: str) -> list[UUID]:
    conversation = await store.conversations.create(user_id, "web", title)
    ids = []
    for i, text in enumerate(texts):
        message = await store.messages.add(NewMessage(conversation_id=conversation.id, user_id=user_id,
                                                      is_from_user=i % 2 == 0, content=text))
        assert message is not None
        ids.append(message.id)
    return ids


async def _file(store: Store, user_id: UUID, name: str, parts: list[tuple[str, str]]) -> UUID:
    file_id = uuid.uuid4()
    await store.files.create(
        file_id=file_id, user_id=user_id, file_name=name,
        file_path=f"users/{user_id}/files/{file_id}/{name}", file_type="application/pdf",
        file_size=100, kind=MessageType.document, extraction_status="done")
    await store.files.replace_chunks(file_id, user_id, [
        ChunkIn(ordinal=i, part=part, location=part.replace(":", " "), content=text)
        for i, (part, text) in enumerate(parts)])
    return file_id


async def test_history_matches_any_word_and_ranks_the_rare_words_first(store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    [question, grant] = await _chat(
        store, ana.id, "Subvención",
        "¿Nos presentamos a la subvención del ayuntamiento para emprendedores?",
        "Sí: la subvención del ayuntamiento se presenta hasta el 15 de marzo y cubre hasta "
        "12.000 € para empresas de menos de dos años.")
    await _chat(store, ana.id, "Otros", "El ayuntamiento cierra el mercado los lunes.",
                "Habla con el ayuntamiento sobre el puesto del mercado.")
    # Every word ANDed would find nothing: no message says "plazo".
    hits = await store.messages.search_history(ana.id, "subvención ayuntamiento plazo")
    assert {h.message_id for h in hits[:2]} == {question, grant}
    assert len(hits) == 4  # any of the words: the market messages match "ayuntamiento" too
    # The rarer word decides: "marzo" appears once, so the grant answer comes first.
    assert (await store.messages.search_history(ana.id, "ayuntamiento marzo"))[0].message_id == grant


async def test_history_searches_both_languages_and_drops_stop_words(store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    [pricing, _] = await _chat(store, ana.id, "Pricing", "What prices should the family box have?",
                               "Launch the family box at 35 euros.")
    await _chat(store, ana.id, "Ruido", "La caja de la semana tiene de todo", "Y de postre, fruta")
    # English stems for an English question asked with another form of the word.
    assert (await store.messages.search_history(ana.id, "pricing"))[0].message_id == pricing
    # "de", "la", "the" are stop words in one of the languages: they match nothing on their own.
    assert await store.messages.search_history(ana.id, "de la the") == []
    hits = await store.messages.search_history(ana.id, "la caja de la semana")
    assert [h.snippet for h in hits] == ["La caja de la semana tiene de todo"]


async def test_history_leaves_out_the_question_and_other_users(store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    bob = await store.users.create("+34600000002", "Bob")
    [old, _, new] = await _chat(store, ana.id, "Precios", "El precio de la caja es 29 euros",
                                "Bien", "¿Cuál era el precio de la caja?")
    await _chat(store, bob.id, "Precios", "El precio de mi caja es 50 euros")
    hits = await store.messages.search_history(ana.id, "precio caja", exclude_id=new)
    assert [h.message_id for h in hits] == [old]


LONG_MESSAGES = {
    # (filler sentence, the sentence that matches, the search, what the snippet must hold)
    "spanish": ("Hablamos de muchas cosas del proyecto y del equipo.",
                "La furgoneta eléctrica cuesta 18.000 euros.", "furgoneta",
                "furgoneta eléctrica cuesta"),
    # Only the English stemmer takes "running" to the lexeme of "run".
    "english, a word only English matches": (
        "We talked about many things for the project and the team.",
        "Our volunteers kept running the food bank.", "run", "kept running the food bank"),
}


@pytest.mark.parametrize("case", LONG_MESSAGES.values(), ids=LONG_MESSAGES.keys())
async def test_snippets_carry_no_markup_and_long_messages_are_cut_around_the_match(
        store: Store, case: tuple[str, str, str, str]) -> None:
    filler_sentence, sentence, query, expected = case
    ana = await store.users.create("+34600000001", "Ana")
    filler = " ".join([filler_sentence] * 30)
    await _chat(store, ana.id, "Largo", f"{filler} {sentence} {filler}")
    [hit] = await store.messages.search_history(ana.id, query)
    assert expected in hit.snippet
    assert len(hit.snippet) < 600 and "**" not in hit.snippet and "<b>" not in hit.snippet
    assert not {"\x02", "\x03"} & set(hit.snippet)  # the language marks are stripped


async def test_file_search_matches_any_word_without_markup(store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    long_text = " ".join(["Texto de relleno sobre la historia de la empresa."] * 400)
    plan = await _file(store, ana.id, "plan.pdf", [
        ("page:1", long_text),
        ("page:4", "La suscripción semanal cuesta 29 € por caja estándar. " + long_text[:800]),
    ])
    hits = await store.files.search(ana.id, "precio suscripción caja margen")
    assert hits[0].file_id == plan and hits[0].part == "page:4"
    assert "29 €" in hits[0].snippet and "**" not in hits[0].snippet


async def test_small_files_are_read_whole_big_ones_in_fragments(store: Store) -> None:
    ana = await store.users.create("+34600000001", "Ana")
    small = await _file(store, ana.id, "terms.txt", [
        ("paragraph:1", "Delivery terms."),
        ("paragraph:2", "A box is left with a neighbour when nobody is home."),
        ("paragraph:3", "A failed delivery is refunded once per quarter."),
    ])
    big_page = " ".join(["The neighbour programme is described here in detail."] * 150)
    big = await _file(store, ana.id, "manual.pdf", [(f"page:{i}", big_page) for i in range(1, 9)])
    passages = await Recall(store).files(ana.id, "neighbour when nobody is home")
    whole = [p for p in passages if p.file_id == small]
    assert [p.location for p in whole] == ["paragraph 1", "paragraph 2", "paragraph 3"]
    assert all(p.whole_file for p in whole)
    assert "refunded once per quarter" in whole[2].text  # a part that did not match comes too
    fragments = [p for p in passages if p.file_id == big]
    assert fragments and not any(p.whole_file for p in fragments)
    assert all(len(p.text) < len(big_page) for p in fragments)
    assert len(big_page) * 8 / 4 > SMALL_FILE_TOKENS  # the manual is really over the threshold
