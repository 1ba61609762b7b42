"""WhatsApp building blocks without a database: signature, payload parsing, the Graph client
(against the fake Graph server on loopback), retries, formatting and splitting."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from channels.whatsapp.client import (
    GraphError,
    MediaInfo,
    MediaTooLargeError,
    UntrustedMediaURL,
    WhatsAppClient,
    is_retryable,
    mask_recipient,
    send_with_retry,
)
from channels.whatsapp.formatting import (
    message_length,
    render_whatsapp,
    split_message,
    to_whatsapp,
)
from channels.whatsapp.payload import (
    InboundWhatsAppMessage,
    NotAWebhookPayload,
    SkippedItem,
    StatusUpdate,
    parse_webhook_items,
)
from channels.whatsapp.settings import WhatsAppSettings
from channels.whatsapp.signature import SIGNATURE_HEADER, compute_signature, verify_signature
from ignacio_agents.domain import DeliveryStatus
from tests.fakes.graph import (
    FakeGraphServer,
    audio_item,
    batch_webhook,
    document_item,
    image_item,
    message_item,
    reaction_item,
    signed_webhook,
    status_item,
    status_webhook,
    text_item,
    text_webhook,
    webhook_payload,
)

APP_SECRET = "a3f1c0ffee"
USER = "5215512345678"


@pytest.fixture
async def wa(graph: FakeGraphServer) -> AsyncIterator[WhatsAppClient]:
    """Our real client pointed at the fake (named ``wa``: conftest's ``client`` is the app)."""
    async with WhatsAppClient(graph.base_url, graph.version, graph.phone_number_id,
                              graph.access_token) as client:
        yield client


# --- signature ---------------------------------------------------------------------------------


def test_signature_of_a_meta_style_body_verifies() -> None:
    body, headers = signed_webhook(text_webhook("¿Cómo aplico? 👍"), APP_SECRET)
    assert b"\\u00bf" in body  # unicode escaped, as Meta sends it
    assert verify_signature(APP_SECRET, body, headers[SIGNATURE_HEADER])
    assert compute_signature(APP_SECRET, body) == headers[SIGNATURE_HEADER]


def test_signature_rejects_tampering_wrong_secret_and_bad_headers() -> None:
    body, headers = signed_webhook(text_webhook("hola"), APP_SECRET)
    good = headers[SIGNATURE_HEADER]
    assert not verify_signature(APP_SECRET, body + b" ", good)
    assert not verify_signature("other-secret", body, good)
    assert not verify_signature(APP_SECRET, body, None)
    assert not verify_signature(APP_SECRET, body, "")
    assert not verify_signature(APP_SECRET, body, good.removeprefix("sha256="))
    assert not verify_signature(APP_SECRET, body, "sha1=" + good.removeprefix("sha256="))
    assert not verify_signature(APP_SECRET, body, "sha256=zz€")
    assert not verify_signature("", body, compute_signature("", body))


# --- payload -----------------------------------------------------------------------------------


def test_batched_payload_yields_every_message_and_status_in_order() -> None:
    first = webhook_payload(
        [text_item("uno", wamid="wamid.A1"), text_item("dos", wamid="wamid.A2")],
        [status_item("wamid.OUT1", "delivered")],
    )
    second = webhook_payload(
        [text_item("tres", wa_id="34600111222", wamid="wamid.B1"),
         image_item("777", caption="foto", wa_id="34600111222", wamid="wamid.B2")],
        [status_item("wamid.OUT2", "read", recipient_id="34600111222")],
        profile_name="Luis",
    )
    items = parse_webhook_items(batch_webhook(first, second))

    assert [(i.kind, i.wamid) for i in items if not isinstance(i, SkippedItem)] == [
        ("message", "wamid.A1"), ("message", "wamid.A2"), ("status", "wamid.OUT1"),
        ("message", "wamid.B1"), ("message", "wamid.B2"), ("status", "wamid.OUT2"),
    ]
    messages = [i for i in items if isinstance(i, InboundWhatsAppMessage)]
    assert [m.content_text for m in messages] == ["uno", "dos", "tres", "foto"]
    assert [m.profile_name for m in messages] == ["Ana María", "Ana María", "Luis", "Luis"]
    assert messages[3].media is not None and messages[3].media.id == "777"
    assert all(m.phone_number_id == "106540352242922" for m in messages)
    statuses = [i for i in items if isinstance(i, StatusUpdate)]
    assert [s.delivery_status for s in statuses] == [DeliveryStatus.delivered,
                                                     DeliveryStatus.read]


def test_bsuid_only_contact_without_from_parses() -> None:
    bsuid = "US.13491208655302741918"
    payload = webhook_payload(
        [message_item("text", {"body": "hola"}, wa_id=None, wamid="wamid.X")],
        contacts=[{"profile": {"name": "Sheena", "username": "sheena"}, "user_id": bsuid}],
    )
    [item] = parse_webhook_items(payload)
    assert isinstance(item, InboundWhatsAppMessage)
    assert item.wa_id is None
    assert item.user_id == bsuid
    assert item.sender == bsuid
    assert (item.profile_name, item.username, item.text) == ("Sheena", "sheena", "hola")


def test_unknown_and_malformed_types_become_unsupported_items() -> None:
    poll = message_item("poll_creation", {"question": "?"}, wamid="wamid.P")
    bad_text = message_item("text", "not an object", wamid="wamid.T")
    no_media = message_item("image", {"caption": "sin id"}, wamid="wamid.I")
    meta_unsupported = {**message_item("unsupported", {"type": "poll_creation"},
                                       wamid="wamid.U"),
                        "errors": [{"code": 131051, "title": "Message type unknown"}]}
    no_id = {"from": USER, "type": "text", "text": {"body": "x"}}
    items = parse_webhook_items(webhook_payload([poll, bad_text, no_media, meta_unsupported,
                                                 no_id]))

    unsupported = [i for i in items if isinstance(i, InboundWhatsAppMessage)]
    assert [(i.wamid, i.type, i.original_type) for i in unsupported] == [
        ("wamid.P", "unsupported", "poll_creation"),
        ("wamid.T", "unsupported", "text"),
        ("wamid.I", "unsupported", "image"),
        ("wamid.U", "unsupported", "unsupported"),
    ]
    assert all(i.wa_id == USER for i in unsupported)
    assert unsupported[3].errors[0].code == 131051
    [skipped] = [i for i in items if isinstance(i, SkippedItem)]
    assert skipped.source == "message"


def test_media_reaction_context_and_timestamp_fields() -> None:
    items = parse_webhook_items(webhook_payload([
        document_item("doc1", "CV_Ana.pdf", sha256="9f2c", timestamp=1767200020),
        audio_item("aud1"),
        reaction_item("wamid.OURS", "👍"),
        reaction_item("wamid.OURS", None),
        text_item("sí", context_id="wamid.OURS"),
        message_item("interactive", {"type": "button_reply",
                                     "button_reply": {"id": "yes", "title": "Sí"}}),
        message_item("button", {"text": "No pedí código", "payload": "DID_NOT_REQUEST_CODE"}),
        message_item("location", {"latitude": 19.43, "longitude": -99.13, "name": "CDMX"}),
    ]))
    doc, audio, react, unreact, reply, inter, button, loc = items
    assert isinstance(doc, InboundWhatsAppMessage) and doc.media is not None
    assert (doc.type, doc.media.filename, doc.media.mime_type, doc.media.sha256) == (
        "document", "CV_Ana.pdf", "application/pdf", "9f2c")
    assert doc.timestamp == datetime.fromtimestamp(1767200020, tz=UTC)
    assert isinstance(audio, InboundWhatsAppMessage) and audio.media is not None
    assert audio.media.voice is True and audio.media.kind == "audio"
    assert isinstance(react, InboundWhatsAppMessage) and react.reaction is not None
    assert (react.reaction.message_id, react.reaction.emoji) == ("wamid.OURS", "👍")
    assert isinstance(unreact, InboundWhatsAppMessage) and unreact.reaction is not None
    assert unreact.reaction.emoji is None
    assert isinstance(reply, InboundWhatsAppMessage) and reply.context is not None
    assert reply.context.id == "wamid.OURS"
    assert isinstance(inter, InboundWhatsAppMessage) and inter.interactive is not None
    assert (inter.interactive.id, inter.content_text) == ("yes", "Sí")
    assert isinstance(button, InboundWhatsAppMessage) and button.button is not None
    assert button.button.payload == "DID_NOT_REQUEST_CODE"
    assert isinstance(loc, InboundWhatsAppMessage) and loc.location is not None
    assert (loc.location.latitude, loc.location.name) == (19.43, "CDMX")


def test_failed_status_carries_its_error_and_no_contacts_needed() -> None:
    payload = status_webhook("wamid.OUT", "failed", error_code=131047,
                             error_title="Re-engagement message")
    assert "contacts" not in payload["entry"][0]["changes"][0]["value"]
    [status] = parse_webhook_items(payload)
    assert isinstance(status, StatusUpdate)
    assert (status.delivery_status, status.error_code) == (DeliveryStatus.failed, 131047)
    assert status.errors[0].title == "Re-engagement message"
    [played] = parse_webhook_items(status_webhook("wamid.OUT", "played"))
    assert isinstance(played, StatusUpdate) and played.delivery_status is DeliveryStatus.read


def test_other_fields_and_value_errors_are_reported_not_raised() -> None:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}},
        {"field": "messages", "value": {"errors": [{"code": 131000}]}},
    ]}]}
    items = parse_webhook_items(payload)
    assert [(i.kind, getattr(i, "source", None)) for i in items] == [
        ("skipped", "change"), ("skipped", "value_error")]


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe", b"[]", b"null", b'{"object":"page","entry":[]}',
    b'{"object":"whatsapp_business_account"}',
    b'{"object":"whatsapp_business_account","entry":{"id":1}}',
    b'{"object":"whatsapp_business_account","entry":[{"changes":"x"}]}',
])
def test_a_body_that_is_not_a_webhook_envelope_raises(body: bytes) -> None:
    with pytest.raises(NotAWebhookPayload):
        parse_webhook_items(body)


# --- client against the fake Graph API ---------------------------------------------------------


async def test_send_text_with_reply_context(graph: FakeGraphServer,
                                            wa: WhatsAppClient) -> None:
    wamid = await wa.send_text(USER, "Sí, aplica.", reply_to="wamid.IN1")

    [request] = graph.requests
    assert request.path == f"/{graph.version}/{graph.phone_number_id}/messages"
    assert request.headers["authorization"] == f"Bearer {graph.access_token}"
    assert request.json == {
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": "+" + USER, "context": {"message_id": "wamid.IN1"},
        "type": "text", "text": {"preview_url": False, "body": "Sí, aplica."},
    }
    assert wamid == request.response["messages"][0]["id"]
    assert wamid.startswith("wamid.")


async def test_fake_requests_are_waitable_while_the_loop_keeps_running(
    graph: FakeGraphServer, wa: WhatsAppClient,
) -> None:
    async def worker() -> None:  # stands in for a job worker on the same event loop
        for n in range(3):
            await asyncio.sleep(0.01)
            await wa.send_text(USER, f"parte {n}")

    task = asyncio.create_task(worker())
    sent = await graph.wait_for_messages_async(3, timeout=5.0, to=USER)
    await task
    assert [m["text"]["body"] for m in sent] == ["parte 0", "parte 1", "parte 2"]
    with pytest.raises(TimeoutError):
        graph.wait_for(lambda requests: len(requests) > 3, timeout=0.05)


async def test_send_to_a_bsuid_uses_recipient(graph: FakeGraphServer,
                                              wa: WhatsAppClient) -> None:
    await wa.send_text("US.13491208655302741918", "hola")
    [sent] = graph.sent_messages()
    assert sent["recipient"] == "US.13491208655302741918" and "to" not in sent
    with pytest.raises(ValueError):
        await wa.send_otp_template("US.13491208655302741918", "123456", "t", "es")


async def test_otp_template_puts_the_code_in_body_and_button(graph: FakeGraphServer,
                                                             wa: WhatsAppClient) -> None:
    await wa.send_otp_template("+34600111222", "482913", "ignacio_login_code", "es")

    [sent] = graph.sent_messages(to="34600111222")
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "ignacio_login_code", "language": {"code": "es"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "482913"}]},
        ],
    }


async def test_mark_read_with_and_without_typing(graph: FakeGraphServer,
                                                 wa: WhatsAppClient) -> None:
    await wa.mark_read("wamid.IN1")
    await wa.mark_read("wamid.IN2", typing=False)
    assert graph.read_receipts() == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1",
         "typing_indicator": {"type": "text"}},
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN2"},
    ]
    assert graph.sent_messages() == []


async def test_send_media_shapes_and_argument_checks(graph: FakeGraphServer,
                                                     wa: WhatsAppClient) -> None:
    await wa.send_media(USER, "image", media_id="m1", caption="Tu calendario")
    await wa.send_media(USER, "document", link="https://example.org/g.pdf",
                            filename="g.pdf")
    image, doc = graph.sent_messages()
    assert image["image"] == {"id": "m1", "caption": "Tu calendario"}
    assert doc["document"] == {"link": "https://example.org/g.pdf", "filename": "g.pdf"}
    with pytest.raises(ValueError):
        await wa.send_media(USER, "image", media_id="m1", link="https://x.org/a.png")
    with pytest.raises(ValueError):
        await wa.send_media(USER, "audio", media_id="m1", caption="no")


async def test_media_metadata_and_download_with_bearer(graph: FakeGraphServer,
                                                       wa: WhatsAppClient) -> None:
    data = bytes(range(256)) * 1000
    sha = graph.add_media("555", data, "image/jpeg")

    info = await wa.get_media("555")
    assert info == MediaInfo(id="555", url=info.url, mime_type="image/jpeg",
                             file_size=len(data), sha256=sha)
    assert info.url.startswith(graph.base_url)
    received = b"".join([chunk async for chunk in wa.download_media(info.url)])
    assert received == data

    download = graph.requests[-1]
    assert download.headers["authorization"] == f"Bearer {graph.access_token}"
    async with httpx.AsyncClient() as raw:  # the fake refuses the URL without the token
        assert (await raw.get(info.url)).status_code == 401


@pytest.mark.parametrize("chunked", [False, True])
async def test_download_stops_past_the_size_limit(graph: FakeGraphServer,
                                                  wa: WhatsAppClient,
                                                  chunked: bool) -> None:
    graph.add_media("big", b"x" * 200_000, "video/mp4", chunked=chunked)
    info = await wa.get_media("big")
    received = 0
    with pytest.raises(MediaTooLargeError) as caught:
        async for chunk in wa.download_media(info.url, max_bytes=50_000):
            received += len(chunk)
    assert caught.value.limit == 50_000
    assert received <= 50_000
    if not chunked:
        assert caught.value.size == 200_000  # refused from Content-Length, before reading


async def test_download_refuses_to_send_the_token_elsewhere(wa: WhatsAppClient) -> None:
    with pytest.raises(UntrustedMediaURL):
        async for _ in wa.download_media("https://attacker.example/steal"):
            pass
    with pytest.raises(UntrustedMediaURL):
        async for _ in wa.download_media("http://lookaside.fbsbx.com/x"):
            pass


async def test_upload_media_from_bytes_and_from_a_stream(graph: FakeGraphServer,
                                                         wa: WhatsAppClient) -> None:
    media_id = await wa.upload_media(b"%PDF-1.7 hola", "application/pdf", "guía.pdf")

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"Og", b"gS", b"opus"):
            yield part

    stream_id = await wa.upload_media(chunks(), "audio/ogg", "voz.ogg")
    first, second = graph.requests
    assert first.form == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert first.file is not None
    assert (first.file["filename"], first.file["size"]) == ("guía.pdf", 13)
    assert graph.media_bytes(media_id) == b"%PDF-1.7 hola"
    assert graph.media_bytes(stream_id) == b"OggSopus"
    assert second.form is not None and second.form["type"] == "audio/ogg"
    assert media_id != stream_id


@pytest.mark.parametrize(("code", "http_status", "retryable"), [
    (131047, 400, False), (131026, 400, False), (100, 400, False), (368, 403, False),
    (131051, 400, False), (132001, 404, False), (130429, 400, True), (131056, 400, True),
    (131000, 500, True), (1, 400, True), (2, 503, True),
])
async def test_graph_errors_map_to_code_status_and_retryability(
    graph: FakeGraphServer, wa: WhatsAppClient, code: int, http_status: int,
    retryable: bool,
) -> None:
    graph.fail_next("/messages", code=code, http_status=http_status, title="boom")
    with pytest.raises(GraphError) as caught:
        await wa.send_text(USER, "hola")
    error = caught.value
    assert (error.code, error.http_status, error.retryable) == (code, http_status, retryable)
    assert "boom" in error.title
    assert error.fbtrace_id


async def test_bare_http_errors_bad_tokens_and_timeouts(graph: FakeGraphServer) -> None:
    graph.fail_next("/messages", code=None, http_status=503)
    graph.stall_next("/slow-media", seconds=0.5)
    async with (
        WhatsAppClient(graph.base_url, graph.version, graph.phone_number_id,
                       graph.access_token, timeout=0.1) as wa,
        WhatsAppClient(graph.base_url, graph.version, graph.phone_number_id, "wrong") as bad,
    ):
        with pytest.raises(GraphError) as bare:
            await wa.send_text(USER, "hola")
        with pytest.raises(GraphError) as timeout:
            await wa.get_media("slow-media")
        with pytest.raises(GraphError) as token:
            await bad.send_text(USER, "hola")
    assert (bare.value.code, bare.value.http_status, bare.value.retryable) == (None, 503, True)
    assert (timeout.value.code, timeout.value.http_status, timeout.value.retryable) == (
        None, None, True)
    assert timeout.value.title == "request timed out"
    assert (token.value.code, token.value.http_status, token.value.retryable) == (
        190, 401, False)


@pytest.mark.parametrize(("code", "status", "expected"), [
    (None, None, True), (None, 502, True), (None, 429, True), (None, 404, False),
    (131053, 400, False), (132015, 400, False), (999999, 400, False), (999999, 500, True),
    (100, 500, False), (131016, 400, True),
])
def test_is_retryable_table(code: int | None, status: int | None, expected: bool) -> None:
    assert is_retryable(code, status) is expected


async def test_send_with_retry_retries_throughput_errors_then_succeeds(
    graph: FakeGraphServer, wa: WhatsAppClient,
) -> None:
    graph.fail_next("/messages", code=130429, times=2)
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    wamid = await send_with_retry(lambda: wa.send_text(USER, "hola"), attempts=4,
                                  base_delay=1.0, sleep=no_sleep, jitter=lambda: 1.0)
    assert [r.status for r in graph.requests] == [400, 400, 200]
    assert graph.requests[-1].response["messages"][0]["id"] == wamid
    assert delays == [1.0, 2.0]


async def test_send_with_retry_does_not_retry_permanent_errors(
    graph: FakeGraphServer, wa: WhatsAppClient,
) -> None:
    graph.fail_next("/messages", code=131047, times=3)
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    with pytest.raises(GraphError) as caught:
        await send_with_retry(lambda: wa.send_text(USER, "hola"), attempts=4,
                              base_delay=0.0, sleep=no_sleep)
    assert caught.value.code == 131047
    assert len(graph.requests) == 1 and delays == []


async def test_send_with_retry_gives_up_after_attempts_and_respects_pair_limit(
    graph: FakeGraphServer, wa: WhatsAppClient,
) -> None:
    graph.fail_next("/messages", code=131056, times=5)
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    with pytest.raises(GraphError) as caught:
        await send_with_retry(lambda: wa.send_text(USER, "hola"), attempts=3,
                              base_delay=0.01, sleep=no_sleep)
    assert caught.value.code == 131056
    assert len(graph.requests) == 3
    assert delays == [6.0, 6.0]


async def test_client_from_settings_and_logs_without_secrets(
    graph: FakeGraphServer, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = WhatsAppSettings(_env_file=None, **graph.settings_overrides())
    caplog.set_level(logging.DEBUG)
    async with WhatsAppClient.from_settings(settings) as wa:
        await wa.send_text("+34600111222", "hola")
        await wa.send_otp_template("+34600111222", "482913", "ignacio_login_code", "es")
        graph.fail_next("/messages", code=131026)
        with pytest.raises(GraphError):
            await wa.send_text("+34600111222", "hola")
    assert len(graph.sent_messages(to="+34600111222")) == 2
    assert "+34…22" in caplog.text
    for secret in (graph.access_token, "34600111222", "482913"):
        assert secret not in caplog.text
    assert graph.access_token not in repr(wa)
    assert mask_recipient("5215512345678") == "+52…78"


# --- formatting --------------------------------------------------------------------------------


def test_markdown_becomes_whatsapp_formatting() -> None:
    md = (
        "# Plan de **negocio**\n\n"
        "Esto es **muy** importante, *también* esto, __fuerte__ y ~~no~~.\n"
        "Lee la [guía](https://x.org/g) o <https://a.b>. Código `__init__.py` y 2*3*4.\n\n"
        "* uno\n* dos **b**\n\n---\n\n"
        "| Concepto | Coste |\n|---|---:|\n| Alquiler | 500 € |\n\n"
        "```python\nx = **y**\n```"
    )
    assert to_whatsapp(md) == (
        "*Plan de negocio*\n\n"
        "Esto es *muy* importante, _también_ esto, *fuerte* y ~no~.\n"
        "Lee la guía (https://x.org/g) o https://a.b. Código `__init__.py` y 2*3*4.\n\n"
        "- uno\n- dos *b*\n\n"
        "*Concepto · Coste*\nAlquiler · 500 €\n\n"
        "```\nx = **y**\n```"
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_10000_character_answer_splits_on_paragraphs_in_order() -> None:
    rng = random.Random(5)
    words = ["proyecto", "cliente", "mercado", "ventas", "equipo", "plan", "riesgo", "valor",
             "métrica", "ronda"]
    paragraphs = [
        f"P{n}. " + " ".join(rng.choice(words) for _ in range(rng.randint(20, 60))) + "."
        for n in range(60)
    ]
    answer = "\n\n".join(paragraphs)
    answer = answer[: answer.rfind("\n\n", 0, 10_050)]
    assert len(answer) >= 9_600

    parts = render_whatsapp(answer)

    assert len(parts) >= 3
    assert all(len(p) <= 4096 for p in parts)
    assert _squash("".join(parts)) == _squash(answer)
    # Every cut fell between paragraphs: each part is whole paragraphs.
    assert [q for p in parts for q in p.split("\n\n")] == answer.split("\n\n")


def test_a_long_list_splits_between_items() -> None:
    items = [f"- punto {n}: " + "detalle " * 8 for n in range(40)]
    parts = split_message("\n".join(items), limit=300)
    assert len(parts) > 1
    assert all(p.startswith("- punto") and len(p) <= 300 for p in parts)
    assert _squash("".join(parts)) == _squash("\n".join(items))


def test_long_words_and_emoji_never_exceed_the_limit() -> None:
    url = "https://example.org/" + "a" * 250
    parts = split_message(f"Mira {url} 👍👍👍👍👍👍 fin.", limit=100)
    assert all(message_length(p) <= 100 for p in parts)
    assert _squash("".join(parts)) == _squash(f"Mira {url} 👍👍👍👍👍👍 fin.")
    assert split_message("   \n\n ") == []


def test_split_property_random_inputs_keep_every_word_in_order() -> None:
    rng = random.Random(20260911)
    vocabulary = ["a", "idea", "cliente.", "¿precio?", "- item", "1.", "**b**", "🚀",
                  "muy-larga-palabra-" * 3, "\n", "\n\n", "\n\n\n", "  ", "\t", "ok!"]
    for _ in range(400):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 300)))
        limit = rng.randint(2, 400)
        parts = split_message(text, limit)
        assert all(0 < message_length(p) <= limit for p in parts)
        assert all(p == p.strip() for p in parts)
        assert _squash("".join(parts)) == _squash(text)


def test_a_code_block_cut_across_parts_stays_code_in_every_part() -> None:
    code = "\n".join(f"step_{i} = run({i})  # keep going" for i in range(400))
    text = "Here is the script:\n\n```\n" + code + "\n```\n\nThat's all."
    parts = split_message(text, limit=4096)
    assert len(parts) > 2 and all(len(p) <= 4096 for p in parts)
    for part in parts:
        fences = sum(1 for line in part.splitlines() if line.lstrip().startswith("```"))
        assert fences % 2 == 0, part[:80]
    joined = "\n".join(parts)
    assert all(f"step_{i} = run({i})" in joined for i in range(400))


async def test_an_unreachable_graph_api_is_a_retryable_transport_error() -> None:
    """The client sends over aiohttp; its connection errors reach us as httpx's, then as one
    retryable GraphError (nothing listens on the port)."""
    from httpx_aiohttp import AiohttpTransport

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    async with WhatsAppClient(f"http://127.0.0.1:{port}", "v24.0", "123", "token") as wa:
        assert isinstance(wa._http._transport, AiohttpTransport)
        with pytest.raises(GraphError) as caught:
            await wa.send_text(USER, "hola")
    assert (caught.value.code, caught.value.http_status, caught.value.retryable) == (
        None, None, True)
    assert caught.value.title.startswith("transport error")
