"""No phone number, sign-in code, token or verify token in any span Ignacio would export.

The app runs with tracing on and logfire configured as in production
(``api.observability.logfire_options``)
plus an in-memory exporter behind logfire's own pipeline (what an OTLP or Logfire exporter
would receive). One run drives sign-ins and admin work (``run_flows``), Meta's webhook
verification, a signed WhatsApp message and a web chat turn; then every exported span (names,
attributes, events) is searched for every secret the run used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import logfire
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.observability import logfire_options
from tests.fakes.graph import text_webhook
from tests.test_auth import add_user, bearer, request_code, verify
from tests.test_no_secrets_in_logs import PHONES, USER_PHONE, phone_forms, run_flows
from tests.whatsapp_harness import VERIFY_TOKEN, WORKER, post_webhook, whatsapp_settings


@pytest.fixture
def export_spans(settings: Any) -> Iterator[Callable[[], InMemorySpanExporter]]:
    """Call after the app started (its first start configures logfire): from then on, spans
    also go to an in-memory exporter behind logfire's pipeline, scrubbing included."""

    def start() -> InMemorySpanExporter:
        exporter = InMemorySpanExporter()
        logfire.configure(**logfire_options(settings),
                          additional_span_processors=[SimpleSpanProcessor(exporter)])
        return exporter

    yield start
    logfire.configure(**logfire_options(settings))  # back to the app's own configuration


def _span_text(exporter: InMemorySpanExporter) -> str:
    parts = []
    for span in exporter.get_finished_spans():
        parts.append(span.name)
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        for event in span.events:
            parts.append(json.dumps(dict(event.attributes or {}), default=str))
    return "\n".join(parts)


async def test_exported_spans_hold_no_secret(export_spans, make_client, make_settings, graph):
    client = await make_client(make_settings(**WORKER, tracing="on"),
                               whatsapp=whatsapp_settings(graph))
    exported = export_spans()
    secrets = await run_flows(client, graph)

    verified = await client.get("/webhooks/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "8734512"})
    assert verified.status_code == 200
    secrets.append(VERIFY_TOKEN)
    wa_id = USER_PHONE.lstrip("+")
    resp = await post_webhook(client, text_webhook("Hola, ¿cómo fijo el precio?", wa_id=wa_id))
    assert resp.status_code == 200, resp.text

    graph.reset()  # run_flows left Graph failures queued
    # Someone new: run_flows left its admin with a second factor and its participant's codes spent.
    await add_user(client, "+34612345679", "Zoe")
    code = await request_code(client, graph, "+34612345679")
    signed_in = await verify(client, code, "+34612345679")
    secrets += [code, signed_in.json()["access_token"], signed_in.cookies["ignacio_refresh"]]
    headers = bearer(signed_in.json())
    conversation = (await client.post("/conversations", headers=headers, json={})).json()
    turn = await client.post(f"/conversations/{conversation['id']}/messages", headers=headers,
                             json={"content": "Mi número es +34 699 111 222, ¿qué hago?"})
    assert turn.status_code == 200
    secrets.append("699 111 222")

    text = _span_text(exported)
    assert "POST /auth/verify-otp" in text and "/webhooks/whatsapp" in text  # spans were seen
    leaks = [s for s in secrets if s in text]
    leaks += [p for phone in PHONES for p in phone_forms(phone) if p in text]
    assert leaks == [], [text[max(0, text.find(s) - 200):text.find(s) + 60] for s in leaks]


def test_the_access_log_masks_the_webhook_verify_token():
    from api.observability import redact

    line = '"GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cr3t&hub.challenge=1"'
    assert "s3cr3t" not in str(redact(line))
    assert "hub.mode=subscribe" in str(redact(line))
