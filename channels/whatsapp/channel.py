"""The WhatsApp channel as the core sees it: its traits, its jobs, and a :class:`Sender`.

The Graph client is opened with the runtime when the channel can send (a token and a business
number id are configured). Without them, in development, the client talks to the built-in
simulator (``channels.whatsapp.simulator``) so WhatsApp can be tried without Meta; in
production the webhook still stores what arrives, and the answer jobs fail loudly instead of
pretending to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

import httpx
from procrastinate import Blueprint

from channels.whatsapp.client import (
    REENGAGEMENT_CODE,
    GraphError,
    WhatsAppClient,
    send_with_retry,
)
from channels.whatsapp.errors import explain_graph_error
from channels.whatsapp.formatting import WHATSAPP_TEXT_LIMIT
from channels.whatsapp.render import InteractivePart, whatsapp_parts
from channels.whatsapp.settings import WhatsAppSettings
from channels.whatsapp.simulator import (
    SIMULATOR_BASE_URL,
    SIMULATOR_NUMBER_ID,
    SimulatedGraph,
    SimulatorPhone,
)
from channels.whatsapp.writes import GroupedWrites
from ignacio_agents.channel import ChannelTraits, DeliveryError, SendFailed
from ignacio_agents.crypto import mask_phone
from ignacio_agents.runtime import Runtime
from ignacio_agents.settings import Settings, load_channel_settings
from ignacio_agents.store.messages import StoredMessage
from ignacio_agents.store.users import StoredUser

log = logging.getLogger(__name__)

NAME = "whatsapp"
SEND_BASE_DELAY = 0.5  # seconds; doubles per attempt (with jitter), capped below
SEND_MAX_DELAY = 4.0
CODE_SEND_ATTEMPTS = 3

TRAITS = ChannelTraits(
    label="WhatsApp", defers_delivery=True, short_answers=True, read_only_on_web=True,
    text_limit=WHATSAPP_TEXT_LIMIT,
)


def error_code_of(exc: GraphError) -> str:
    """Meta's error code, or what failed when there is none (stored on failed deliveries)."""
    if exc.code is not None:
        return str(exc.code)
    return f"http_{exc.http_status}" if exc.http_status is not None else "timeout"


def send_failed(exc: GraphError) -> SendFailed:
    failed = SendFailed(error_code_of(exc), exc.retryable, str(exc),
                        window_closed=exc.code == REENGAGEMENT_CODE)
    failed.__cause__ = exc
    return failed


class Pacer:
    """Keeps ``gap`` seconds between two messages this process sends to one participant
    (Meta's per-user pacing). Waiting is an ``asyncio.sleep``: the worker's other jobs run
    meanwhile. Recipients are forgotten once their gap has passed."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._last: dict[str, float] = {}  # recipient -> loop time of the last send

    @contextlib.asynccontextmanager
    async def turn(self, to: str) -> AsyncIterator[None]:
        if self.gap <= 0:
            yield
            return
        loop = asyncio.get_running_loop()
        last = self._last.get(to)
        if last is not None and (wait := last + self.gap - loop.time()) > 0:
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            now = loop.time()
            self._last = {k: t for k, t in self._last.items() if now - t < self.gap}
            self._last[to] = now


class WhatsAppChannel:
    """One WhatsApp business number, registered as the ``whatsapp`` channel."""

    name = NAME
    traits = TRAITS
    settings_class = WhatsAppSettings

    def __init__(self, settings: WhatsAppSettings, *, http: httpx.AsyncClient | None = None):
        self.settings = settings
        self._http = http
        self.client: WhatsAppClient | None = None
        self.simulator: SimulatorPhone | None = None
        self._simulator_http: httpx.AsyncClient | None = None
        self.pacer = Pacer(settings.part_gap_seconds)
        # Inbound messages of concurrent deliveries, stored a statement at a time.
        self.writes = GroupedWrites()

    @classmethod
    def from_settings(cls, core: Settings) -> WhatsAppChannel | None:
        """The channel configured from ``WHATSAPP_*``, or None when this deployment does not
        use WhatsApp (production with none of its credentials set)."""
        settings = load_channel_settings(WhatsAppSettings, core)
        return cls(settings) if settings.enabled(core) else None

    def blueprints(self) -> list[Blueprint]:
        from channels.whatsapp.jobs import blueprint

        return [blueprint()]

    async def start(self, runtime: Runtime) -> None:
        if self.client is not None:
            return
        if self.settings.configured:
            self.client = WhatsAppClient.from_settings(self.settings, http=self._http)
        elif not runtime.settings.is_production:
            self.simulator = SimulatorPhone(runtime.db, runtime.store.cipher)
            self._simulator_http = httpx.AsyncClient(transport=SimulatedGraph(self.simulator))
            self.client = WhatsAppClient(
                SIMULATOR_BASE_URL, self.settings.graph_api_version, SIMULATOR_NUMBER_ID,
                "simulator", http=self._simulator_http,
                max_media_bytes=self.settings.max_media_bytes,
            )
            log.info("WhatsApp is not configured: messages go to the built-in simulator")

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self._simulator_http is not None:
            await self._simulator_http.aclose()
            self._simulator_http = None
        self.simulator = None

    def require_client(self) -> WhatsAppClient:
        if self.client is None:
            raise RuntimeError("WhatsApp is not configured (WHATSAPP_ACCESS_TOKEN, "
                               "WHATSAPP_PHONE_NUMBER_ID): cannot send")
        return self.client

    # --- ErrorExplainer -------------------------------------------------------------------

    def explain_error(self, code: str) -> DeliveryError:
        return explain_graph_error(code)

    # --- Sender ----------------------------------------------------------------------------

    def render(self, reply: StoredMessage) -> list[str]:
        return whatsapp_parts(reply, first_part_chars=self.settings.first_part_chars)

    async def send_part(self, to: str, text: str, *, reply_to: str | None) -> str:
        """One attempt, at least ``WHATSAPP_PART_GAP_SECONDS`` after the last message this
        process sent to ``to`` (:class:`Pacer`). A retryable failure re-queues the durable
        answer job instead (``channels.whatsapp.jobs``), so an outage of minutes loses
        nothing."""
        client = self.require_client()
        async with self.pacer.turn(to):
            try:
                if isinstance(text, InteractivePart):
                    return await client.send_interactive(to, text.interactive,
                                                         reply_to=reply_to)
                return await client.send_text(to, text, reply_to=reply_to)
            except GraphError as exc:
                raise send_failed(exc) from exc

    async def send_answer_waiting(self, to: str) -> str:
        """The approved template telling the participant an answer is waiting (the only thing
        WhatsApp accepts outside the 24-hour window)."""
        client = self.require_client()
        try:
            return await client.send_template(to, self.settings.answer_waiting_template_name,
                                              self.settings.answer_waiting_template_language)
        except GraphError as exc:
            raise send_failed(exc) from exc

    async def mark_read(self, external_id: str, *, typing: bool) -> None:
        try:
            await self.require_client().mark_read(external_id, typing=typing)
        except GraphError as exc:
            raise send_failed(exc) from exc

    # --- CodeSender ------------------------------------------------------------------------

    @property
    def can_send_codes(self) -> bool:
        return self.client is not None

    async def send_sign_in_code(self, e164: str, code: str) -> None:
        """The code as the approved authentication template (copy-code button)."""
        client = self.require_client()
        if self.simulator is not None:
            # The simulator page needs a signed-in admin, so the first code must reach them
            # here too: the console stands in for the phone, as without any channel.
            print(f"[ignacio] sign-in code for {mask_phone(e164)}: {code}  (also in the "
                  "WhatsApp simulator)", file=sys.stderr, flush=True)
        try:
            await send_with_retry(
                lambda: client.send_otp_template(e164, code, self.settings.otp_template_name,
                                                 self.settings.otp_template_language),
                attempts=CODE_SEND_ATTEMPTS, base_delay=SEND_BASE_DELAY, max_delay=SEND_MAX_DELAY,
            )
        except GraphError as exc:
            raise send_failed(exc) from exc


    # --- HumanChannel (mentors, ``ignacio_agents.mentoring``) ---------------------------------

    async def send_human_message(self, runtime: Runtime, message: StoredMessage) -> None:
        from channels.whatsapp.staff import send_human_message

        await send_human_message(self, runtime, message)

    async def send_staff_alert(self, runtime: Runtime, recipient: StoredUser,
                               participant_name: str) -> bool:
        from channels.whatsapp.staff import send_staff_alert

        return await send_staff_alert(self, recipient, participant_name)


def whatsapp_of(runtime: Runtime) -> WhatsAppChannel:
    """This process's WhatsApp channel (registered whenever WhatsApp traffic can arrive)."""
    channel = runtime.channels.get(WhatsAppChannel)
    if channel is None:
        raise RuntimeError("the WhatsApp channel is not enabled in this deployment")
    return channel
