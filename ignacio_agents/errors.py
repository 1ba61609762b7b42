"""The one tree of errors Ignacio raises on purpose.

Every deliberate failure is an ``IgnacioError``: a stable machine ``code`` (what clients and
tests branch on) and a ``message`` safe to show to the person who caused it (never a token, a
code or a phone number). The kind of failure is the class: ``NotFound``, ``InvalidInput``,
``Conflict`` and so on. The core knows nothing of HTTP; ``api.errors`` maps each class to a
status in one table, so no router translates exceptions and a new error needs no new handler.

Each module keeps its own specific errors (``InvalidPhoneNumber``, ``FileTooLarge``, ...),
subclassing the kind that describes them. An ``IgnacioError`` outside every kind (a broken
configuration, a key that cannot decrypt) is a fault of ours, shown to clients as a 500.
"""

from __future__ import annotations

from typing import ClassVar


class IgnacioError(Exception):
    """A failure Ignacio raises on purpose, with a stable ``code`` and a user-facing ``message``.

    Subclasses set the default ``code`` and ``message``; an instance may narrow either one
    (``Conflict("…", code="last_admin")``) without needing a class of its own.
    """

    code: str = "error"
    default_message: ClassVar[str] = "Something went wrong."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message: str = message if message is not None else self.default_message
        self.code = code or type(self).code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class MalformedRequest(IgnacioError):
    """The request itself cannot be read (a broken multipart body, an interrupted upload)."""

    code = "bad_request"
    default_message = "The request could not be read."


class InvalidInput(IgnacioError):
    """The request was read, but a value in it is not acceptable."""

    code = "invalid_request"
    default_message = "The request is not valid."


class Unauthorized(IgnacioError):
    """No valid credentials: sign in (again)."""

    code = "unauthorized"
    default_message = "authentication required"


class Forbidden(IgnacioError):
    """Signed in, but not allowed to do this."""

    code = "forbidden"
    default_message = "not allowed"


class NotFound(IgnacioError):
    """The thing does not exist, or is not the caller's (the two look the same on purpose)."""

    code = "not_found"
    default_message = "not found"

    @classmethod
    def of(cls, what: str) -> NotFound:
        """``NotFound.of("conversation")`` says "conversation not found"."""
        return cls(f"{what} not found")


class Conflict(IgnacioError):
    """The request contradicts the current state (an enrolled phone, the last admin)."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class TooLarge(IgnacioError):
    """The payload is larger than a limit."""

    code = "payload_too_large"
    default_message = "The request is too large."


class TooSlow(IgnacioError):
    """The request body did not arrive in time (a client trickling bytes holds a connection)."""

    code = "request_timeout"
    default_message = "The request body arrived too slowly."


class Unsupported(IgnacioError):
    """The content is of a type Ignacio does not accept."""

    code = "unsupported_media_type"
    default_message = "This type of content is not supported."


class RateLimited(IgnacioError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    code = "rate_limited"
    default_message = "Too many requests. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(IgnacioError):
    """An outside service Ignacio depends on (storage, a model, Meta) is not answering."""

    code = "unavailable"
    default_message = "A service Ignacio depends on is unavailable. Try again shortly."
