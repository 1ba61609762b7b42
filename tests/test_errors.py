"""One error tree: every exception class the server defines is an ``IgnacioError``, and
``api.errors`` alone turns each kind into an HTTP status with the ``{"error": {code, message}}``
body. Faults of ours (an ``IgnacioError`` of no kind, or anything else) are a 500 that says
nothing of their cause."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import httpx
import pytest
from fastapi import FastAPI

from api.errors import STATUS, install_error_handlers, status_for
from ignacio_agents import errors
from ignacio_agents.blobs import BlobNotFound, StorageUnavailable
from ignacio_agents.crypto import DecryptionError, InvalidPhoneNumber
from ignacio_agents.documents.sniff import DamagedFile, EmptyFile, UnsupportedFileType
from ignacio_agents.engine.context import TurnRejected
from ignacio_agents.files import FileTooLarge
from ignacio_agents.store.base import InvalidCursor
from ignacio_agents.store.users import LastAdmin, PhoneAlreadyEnrolled

SERVER_PACKAGES = ("ignacio_agents", "api")


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for top in SERVER_PACKAGES:
        package = importlib.import_module(top)
        names = [top] + [m.name for m in pkgutil.walk_packages(package.__path__, f"{top}.")]
        for name in names:
            if name.endswith("__main__") or name.endswith(".sandbox_child"):
                continue
            module = importlib.import_module(name)
            found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                      if issubclass(c, BaseException) and c.__module__ == name]
    return found


def test_every_exception_the_server_defines_is_an_ignacio_error():
    classes = _exception_classes()
    assert {InvalidCursor, FileTooLarge, LastAdmin} <= set(classes)  # the walk sees them
    assert [c.__qualname__ for c in classes if not issubclass(c, errors.IgnacioError)] == []


def test_every_kind_has_a_status_and_a_code():
    kinds = [c for c in vars(errors).values()
             if inspect.isclass(c) and issubclass(c, errors.IgnacioError) and c is not errors.IgnacioError]
    assert set(kinds) == set(STATUS)
    assert len({c.code for c in kinds}) == len(kinds)


@pytest.mark.parametrize(("exc", "status", "code"), [
    (InvalidCursor(), 422, "invalid_cursor"),
    (InvalidPhoneNumber(), 422, "invalid_phone_number"),
    (FileTooLarge(25 * 1024 * 1024), 413, "file_too_large"),
    (UnsupportedFileType("'a.exe' is a program", "executable"), 415, "unsupported_file_type"),
    (EmptyFile("'a.txt' is empty."), 422, "empty_file"),  # both kinds: the nearest one wins
    (DamagedFile("'a.docx' can't be opened"), 422, "damaged_file"),
    (PhoneAlreadyEnrolled(), 409, "phone_already_enrolled"),
    (LastAdmin(), 409, "last_admin"),
    (BlobNotFound("users/u/files/f/a.txt"), 404, "not_found"),
    (TurnRejected("conversation not found for this user"), 404, "turn_rejected"),
    (StorageUnavailable(), 503, "storage_unavailable"),
    (errors.RateLimited("slow down", retry_after=7), 429, "rate_limited"),
    (errors.Conflict("taken", code="name_taken"), 409, "name_taken"),
    (DecryptionError("unknown key id"), 500, "decryption_failed"),
])
def test_each_error_maps_to_its_status_and_keeps_its_code(exc, status, code):
    assert (status_for(exc), exc.code) == (status, code)
    if status < 500:
        assert str(exc) == exc.message and exc.message


def _app_raising(exc: BaseException) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


async def test_the_body_carries_code_message_and_the_kinds_headers():
    limited = await _get(_app_raising(errors.RateLimited("Too many codes.", retry_after=42)))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "42"
    assert limited.json() == {"error": {"code": "rate_limited", "message": "Too many codes."}}
    unauthorized = await _get(_app_raising(errors.Unauthorized("session ended")))
    assert unauthorized.status_code == 401 and unauthorized.headers["www-authenticate"] == "Bearer"
    missing = await _get(_app_raising(BlobNotFound("users/u/files/f/secret-plan.pdf")))
    assert missing.json() == {"error": {"code": "not_found", "message": "file not found"}}


async def test_a_fault_of_ours_is_a_500_that_names_nothing(caplog):
    for exc in (DecryptionError("unknown key id 7"), RuntimeError("password=hunter2 in SQL")):
        resp = await _get(_app_raising(exc))
        assert resp.status_code == 500
        assert resp.json() == {"error": {"code": "internal_error",
                                         "message": "Something went wrong on our side."}}
    assert "unhandled error: DecryptionError" in caplog.text  # logged for us, not shown to them
