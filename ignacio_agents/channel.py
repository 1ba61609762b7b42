"""What the core knows about channels: their traits, how to send through one, and the registry.

A channel (web, WhatsApp, a test console, tomorrow Telegram or email) lives in its own folder
under ``channels/`` and registers one :class:`Channel` object. The core never names one: the
engine, the delivery loop and the web app read a channel's :class:`ChannelTraits` (does it send
answers after the turn, does it want short answers, is it read-only in the web app) and talk to
it through the small :class:`Sender` protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from procrastinate import Blueprint

from ignacio_agents.domain import WEB_CHANNEL
from ignacio_agents.errors import Unavailable

if TYPE_CHECKING:
    from ignacio_agents.runtime import Runtime
    from ignacio_agents.store.messages import StoredMessage


@dataclass(frozen=True)
class ChannelTraits:
    """How a channel behaves, as far as the core and the web app need to know."""

    label: str  # how participants call it, e.g. "Web"
    # Answers are sent after the turn by a durable job; their status starts ``pending`` and
    # moves on with the channel's delivery reports.
    defers_delivery: bool = False
    # Read on a small screen: the advisor keeps its answers short.
    short_answers: bool = False
    # Its conversations continue on the channel itself; the web app shows them read-only.
    read_only_on_web: bool = False
    # Longest text part the channel accepts (longer answers are split); None: no limit.
    text_limit: int | None = None


WEB_TRAITS = ChannelTraits(label="Web")


class SendFailed(Unavailable):
    """A part could not be sent. ``code`` is the channel's error code (safe to store and log);
    ``retryable`` says whether trying again later may help (rate limits, outages, timeouts);
    ``window_closed`` that the channel only accepts a free-form answer after the participant
    writes again (WhatsApp's 24-hour window), so the answer waits for them."""

    def __init__(self, code: str, retryable: bool, message: str = "", *,
                 window_closed: bool = False) -> None:
        super().__init__(message or f"send failed ({code})", code=code)
        self.retryable = retryable
        self.window_closed = window_closed


class DeliveryErrorReason(StrEnum):
    """What a channel's delivery error means, in kinds the web app puts into words (each
    channel maps its own codes to one of these)."""

    rate_limited = "rate_limited"  # too many messages per second from our number overall
    recipient_rate_limited = "recipient_rate_limited"  # too many to this participant, too fast
    window_closed = "window_closed"  # only a template until the participant writes again
    undeliverable = "undeliverable"  # the participant's phone cannot receive it
    spam_limited = "spam_limited"  # too many earlier messages were blocked or reported
    withheld = "withheld"  # the channel chose not to deliver it
    experiment = "experiment"  # the participant's number is in the channel's experiment
    unsupported = "unsupported"  # a message type the channel does not take
    media_failed = "media_failed"  # a file could not be uploaded or downloaded
    service_error = "service_error"  # an outage, overload, internal error or timeout
    invalid_request = "invalid_request"  # a malformed request (a bug on our side)
    recipient_is_sender = "recipient_is_sender"  # sent to our own business number
    access_denied = "access_denied"  # our credentials expired or lack a permission
    account_blocked = "account_blocked"  # our business account is blocked or locked
    payment = "payment"  # a payment problem on our business account
    template_unavailable = "template_unavailable"  # template missing, paused or disabled
    number_not_registered = "number_not_registered"  # our business number is not registered
    maintenance = "maintenance"  # our business account is in maintenance mode
    unknown = "unknown"  # a code this version does not know


@dataclass(frozen=True)
class DeliveryError:
    """A channel's error code as an admin reads it: the code, the channel's own title for it
    (None when unknown) and what it means."""

    code: str
    title: str | None
    reason: DeliveryErrorReason


@runtime_checkable
class ErrorExplainer(Protocol):
    """A channel that can say what its stored delivery error codes mean."""

    def explain_error(self, code: str) -> DeliveryError: ...


@runtime_checkable
class Sender(Protocol):
    """What the channel-neutral delivery loop needs from a channel that defers delivery."""

    @property
    def traits(self) -> ChannelTraits: ...

    def render(self, reply: StoredMessage) -> list[str]:
        """The ordered text parts of a stored assistant message, each within the limit.
        Derived from what is stored only, so a resumed job cuts the answer the same way."""
        ...

    async def send_part(self, to: str, text: str, *, reply_to: str | None) -> str:
        """Send one part, once; return the channel's id for it. Raises :class:`SendFailed`:
        retryable failures are retried later by the durable job, not here."""
        ...

    async def mark_read(self, external_id: str, *, typing: bool) -> None:
        """Show the participant their message was read (and, with ``typing``, that an answer
        is being written). Raises :class:`SendFailed`."""
        ...


@runtime_checkable
class CodeSender(Protocol):
    """A channel that can deliver a sign-in code to a phone number."""

    @property
    def can_send_codes(self) -> bool: ...

    async def send_sign_in_code(self, e164: str, code: str) -> None:
        """Raises :class:`SendFailed` when the code could not be sent."""
        ...


class Channel(Protocol):
    """One registered channel: its name (stored on conversations and messages), traits, the
    durable jobs it runs, and the services it opens with the runtime."""

    @property
    def name(self) -> str: ...

    @property
    def traits(self) -> ChannelTraits: ...

    def blueprints(self) -> list[Blueprint]: ...

    async def start(self, runtime: Runtime) -> None: ...

    async def aclose(self) -> None: ...


T = TypeVar("T")


class ChannelRegistry:
    """The channels of one process, by name; typed access for the code that owns one."""

    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._by_name: dict[str, Channel] = {}
        for channel in channels:
            if channel.name in self._by_name:
                raise ValueError(f"channel {channel.name!r} registered twice")
            self._by_name[channel.name] = channel

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return list(self._by_name)

    def traits(self, name: str = WEB_CHANNEL) -> ChannelTraits:
        """A channel's traits; an unknown name (e.g. a channel since removed) reads like the
        web: nothing deferred, nothing hidden."""
        channel = self._by_name.get(name)
        return channel.traits if channel is not None else WEB_TRAITS

    def get(self, kind: type[T]) -> T | None:
        """The registered channel of type ``kind`` (its own code's typed handle), if any."""
        return next((c for c in self._by_name.values() if isinstance(c, kind)), None)

    def by_name(self, name: str) -> Channel | None:
        return self._by_name.get(name)

    def sender(self, name: str) -> Sender | None:
        channel = self._by_name.get(name)
        return channel if isinstance(channel, Sender) else None

    def explain_error(self, name: str, code: str | None) -> DeliveryError | None:
        """What a stored error code of channel ``name`` means, when that channel can say."""
        channel = self._by_name.get(name)
        if code is None or not isinstance(channel, ErrorExplainer):
            return None
        return channel.explain_error(code)

    def code_sender(self) -> CodeSender | None:
        """The first channel able to deliver sign-in codes right now, if any."""
        return next((c for c in self._by_name.values()
                     if isinstance(c, CodeSender) and c.can_send_codes), None)

    def blueprints(self) -> list[Blueprint]:
        return [bp for channel in self._by_name.values() for bp in channel.blueprints()]

    async def start(self, runtime: Runtime) -> None:
        for channel in self._by_name.values():
            await channel.start(runtime)

    async def aclose(self) -> None:
        for channel in self._by_name.values():
            await channel.aclose()
