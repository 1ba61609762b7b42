"""Tracing costs nothing when nobody reads it: with no exporter configured (no Logfire token, no
OTLP endpoint) a request makes no request or query spans; with ``IGNACIO_TRACING=on`` it does.

Instrumentation is process-wide (psycopg, httpx), so each case runs in a fresh interpreter that
starts the real app on this test's database, serves two reads, makes one Graph API call and
counts the finished spans an in-memory exporter behind logfire's provider received.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ignacio_agents.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import asyncio, json, sys
import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from api.app import create_app
from channels.whatsapp.client import GraphError, WhatsAppClient
from ignacio_agents.settings import load_settings

async def main():
    settings = load_settings(database_url=sys.argv[1], data_dir=sys.argv[2],
                             pydantic_ai_model="test", openai_api_key=None,
                             run_worker_in_process=False, trace_sample_rate=1.0)
    app = create_app(settings, channels=[])
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    getattr(provider, "provider", provider).add_span_processor(SimpleSpanProcessor(exporter))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in ("/health", "/users/me"):
                await client.get(path)
    # an outbound Graph API call (nothing listens on the port: the span records the failure)
    async with WhatsAppClient(f"http://127.0.0.1:{sys.argv[3]}", "v24.0", "1", "t") as wa:
        try:
            await wa.send_text("+34600000000", "hola")
        except GraphError:
            pass
    names = [span.name for span in exporter.get_finished_spans()]
    print(json.dumps({"spans": names, "tracing": settings.tracing_enabled}))

asyncio.run(main())
"""


def _spans(conninfo: str, data_dir: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("OTEL_", "LOGFIRE_", "IGNACIO_TRACING"))}
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    done = subprocess.run([sys.executable, "-c", _PROBE, conninfo, str(data_dir), str(port)],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_exporter_means_no_request_or_query_spans(conninfo: str, tmp_path: Path) -> None:
    result = _spans(conninfo, tmp_path)
    assert result == {"spans": [], "tracing": False}


def test_tracing_on_records_request_and_query_spans(conninfo: str, tmp_path: Path) -> None:
    result = _spans(conninfo, tmp_path, IGNACIO_TRACING="on")
    spans = result["spans"]
    assert result["tracing"] is True
    assert isinstance(spans, list)
    assert any(name.startswith("GET /users/me") for name in spans), spans
    assert any(name.split()[0] in {"SELECT", "select"} for name in spans), spans
    assert "POST" in spans, spans  # the Graph API call, over aiohttp


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False),
    ({"LOGFIRE_TOKEN": "pylf_v1_us_x"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "IGNACIO_TRACING": "off"}, False),
    ({"IGNACIO_TRACING": "on"}, True),
])
def test_an_exporter_turns_tracing_on(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                      expected: bool) -> None:
    for name in ("LOGFIRE_TOKEN", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "IGNACIO_TRACING"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None).tracing_enabled is expected  # type: ignore[call-arg]
