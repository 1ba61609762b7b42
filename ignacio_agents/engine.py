"""The conversation engine: one advisor turn, the same for every channel.

A turn stores the user message (unless the channel already did), titles a new conversation,
loads the profile and the replayable history, asks the triage agent for a ``Route``, runs that
specialist with the shared history and tools, and stores the assistant message with its agent,
typed answer, Markdown rendering, usage and the turn's PydanticAI messages.

Model failures never escape: a failed attempt (exception, timeout, output that stays invalid
after the agent's own retries) is retried ``model_attempts`` times, then answered with a polite
fallback in the user's language, stored with ``is_fallback`` and status ``failed``; the user
message stays and the next turn works. A broken router falls back to keyword routing. What
does raise is a turn the channel should not have started (``TurnRejected``: unknown user or
conversation) or a database failure, which a durable job should retry.

Models come from settings (``models.resolve_model``) unless handed in: tests pass scripted
``FunctionModel``s as ``ConversationEngine(store, blobs, settings, model=..., triage_model=...)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any
from uuid import UUID

from opentelemetry import trace
from pydantic_ai import AgentRunResult, AgentStreamEvent, PartDeltaEvent, PartStartEvent, RunContext
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelHTTPError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import (
    BinaryContent,
    FunctionToolCallEvent,
    ModelRequest,
    ToolCallPart,
    ToolCallPartDelta,
    UserContent,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage
from pydantic_core import from_json, to_json

from ignacio_agents import tokens
from ignacio_agents.agents import SPECIALISTS, AdvisorDeps, Route, TriageDeps, answer_tool_name, triage_agent
from ignacio_agents.blobs import BlobNotFound, BlobStore
from ignacio_agents.domain import Channel, DeliveryStatus, InboundMessage, MessageType, Specialist
from ignacio_agents.events import (
    DeltaEvent,
    DoneEvent,
    PartialEvent,
    RetryEvent,
    RouteEvent,
    ToolEvent,
    TurnEvent,
    TurnResult,
)
from ignacio_agents.memory import load_history, prepare_for_storage
from ignacio_agents.models import (
    is_offline,
    model_label,
    model_settings,
    resolve_model,
    supports_image_input,
)
from ignacio_agents.offline import ATTACHMENT_NOTE_PREFIX, detect_language, route_by_keywords
from ignacio_agents.responses import AdvisorAnswer, GeneralResponse, label_language, partial_answer
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.messages import Message
from ignacio_agents.store.users import User

__all__ = [
    "ConversationEngine", "DeltaEvent", "DoneEvent", "PartialEvent", "RetryEvent", "RouteEvent",
    "ToolEvent", "TurnEvent", "TurnRejected", "TurnResult",
]

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("ignacio.engine")

FALLBACK_MESSAGES = {
    "es": "Lo siento, ahora mismo no puedo responderte. He guardado tu mensaje: vuelve a "
          "intentarlo en unos minutos.",
    "en": "Sorry, I can't answer right now. I've kept your message: please try again in a few "
          "minutes.",
}
TITLE_CHARS = 60
RECENT_MESSAGES = 6  # what the router sees of the conversation
MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")

Emit = Callable[[TurnEvent], None]


class TurnRejected(LookupError):
    """The turn cannot start: unknown or inactive user, or a conversation that is not theirs."""


def user_hash(user_id: UUID) -> str:
    """A stable pseudonym for traces (never the phone number)."""
    return hashlib.sha256(str(user_id).encode()).hexdigest()[:16]


def title_for(inbound: InboundMessage) -> str | None:
    text = " ".join(inbound.text.split())
    if not text:
        return inbound.attachments[0].file_name[:TITLE_CHARS] if inbound.attachments else None
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0] or text[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"


def error_code(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "model_timeout"
    if isinstance(exc, UnexpectedModelBehavior):
        return "model_invalid_output"
    if isinstance(exc, ModelHTTPError):
        return f"model_http_{exc.status_code}"
    if isinstance(exc, ModelAPIError):
        return "model_unavailable"
    return "model_error"


def _usage_dict(usage: RunUsage | None) -> dict[str, int]:
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0, "requests": 0}
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "requests": usage.requests}


class _AnswerStream:
    """Turns a specialist's stream events into ``tool`` / ``partial`` / ``delta`` events."""

    def __init__(self, specialist: Specialist, emit: Emit, *, offline: bool, language: str):
        self.specialist = specialist
        self.tool_name = answer_tool_name(specialist)
        self.emit = emit
        self.offline = offline
        self.language = language
        self.index: int | None = None
        self.args = ""
        self.sent = ""  # Markdown already sent as deltas

    async def handle(self, ctx: RunContext[Any], events: Any) -> None:
        async for event in events:
            self.on_event(event)

    def on_event(self, event: AgentStreamEvent) -> None:
        if isinstance(event, FunctionToolCallEvent):
            self.emit(ToolEvent(name=event.part.tool_name))
        elif isinstance(event, PartStartEvent) and isinstance(event.part, ToolCallPart):
            if event.part.tool_name == self.tool_name:
                self.index = event.index
                args = event.part.args
                self.args = args if isinstance(args, str) else to_json(args).decode() if args else ""
                self._publish()
        elif (isinstance(event, PartDeltaEvent) and event.index == self.index
              and isinstance(event.delta, ToolCallPartDelta)):
            delta = event.delta.args_delta
            if isinstance(delta, str):
                self.args += delta
            elif isinstance(delta, dict):  # some providers send whole argument objects
                self.args = to_json(delta).decode()
            self._publish()

    def _publish(self) -> None:
        try:
            data = from_json(self.args, allow_partial="trailing-strings") if self.args else {}
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        answer = partial_answer(self.specialist, data)
        answer.offline = self.offline
        answer.language = self.language
        self.emit(PartialEvent(answer=answer.model_dump(mode="json")))
        text = answer.to_markdown()
        if text.startswith(self.sent) and len(text) > len(self.sent):
            self.emit(DeltaEvent(text=text[len(self.sent):]))
            self.sent = text


class ConversationEngine:
    def __init__(self, store: Store, blobs: BlobStore, settings: Settings, *,
                 model: Model | None = None, triage_model: Model | None = None):
        self.store = store
        self.blobs = blobs
        self.settings = settings
        tokens.configure(settings.data_dir)
        self.model = model or resolve_model(settings)
        if triage_model is not None:
            self.triage_model = triage_model
        elif settings.pydantic_ai_triage_model:
            self.triage_model = resolve_model(settings, settings.pydantic_ai_triage_model)
        else:
            self.triage_model = self.model
        self._tasks: set[asyncio.Task[Any]] = set()
        tokens.warm_up_in_background()  # about a second of loading, not in the first turn

    @classmethod
    def from_runtime(cls, runtime: Any, **models: Model | None) -> ConversationEngine:
        return cls(runtime.store, runtime.blobs, runtime.settings, **models)

    @property
    def offline(self) -> bool:
        return is_offline(self.model)

    # --- public API ------------------------------------------------------------------------
    async def run_turn(self, inbound: InboundMessage) -> TurnResult:
        """Run one turn to the end (WhatsApp, jobs, JSON clients)."""
        return await self._turn(inbound, None)

    async def stream_turn(self, inbound: InboundMessage) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding its events. The turn runs in its own task: if the consumer
        stops early (a client went away), the turn still finishes and is stored."""
        queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()
        listening = True

        def emit(event: TurnEvent) -> None:
            if listening:
                queue.put_nowait(event)

        task = asyncio.create_task(self._turn(inbound, emit), name=f"turn-{inbound.conversation_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        task.add_done_callback(_log_failure)
        try:
            while (event := await queue.get()) is not None:
                yield event
            task.result()  # a turn that could not run (TurnRejected, database down) raises here
        finally:
            listening = False

    async def wait_idle(self) -> None:
        """Wait for turns still running after their stream's consumer left (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    # --- one turn --------------------------------------------------------------------------
    async def _turn(self, inbound: InboundMessage, emit: Emit | None) -> TurnResult:
        streaming = emit is not None
        emit = emit or (lambda _event: None)
        attributes = {"conversation_id": str(inbound.conversation_id),
                      "user_hash": user_hash(inbound.user_id), "channel": inbound.channel.value}
        with _tracer.start_as_current_span("ignacio turn", attributes=attributes) as span:
            store = self.store
            user = await store.users.get(inbound.user_id)
            if user is None or not user.is_active:
                raise TurnRejected("unknown or inactive user")
            conversation = await store.conversations.get(inbound.conversation_id, user_id=user.id)
            if conversation is None:
                raise TurnRejected("conversation not found for this user")

            user_message = await self._user_message(inbound)
            if not conversation.title and (title := title_for(inbound)):
                await store.conversations.set_title_if_empty(conversation.id, title)

            budget = self.settings.history_token_budget
            profile, rows, recent = await asyncio.gather(
                store.profiles.get(user.id),
                store.messages.model_history_within(conversation.id, budget),
                self._recent(conversation.id, user_message.id),
            )
            history = load_history(rows)

            route, triage_usage = await self._route(inbound, user, recent)
            span.set_attribute("specialist", route.specialist.value)
            emit(RouteEvent(specialist=route.specialist, reason=route.reason, language=route.language))

            prompt = await self._prompt(inbound, user)
            deps = AdvisorDeps(
                store=store, user=user, conversation_id=conversation.id, message_id=user_message.id,
                specialist=route.specialist, language=route.language, channel=inbound.channel,
                profile=profile, history_token_budget=budget,
            )
            result, failure = await self._answer(route, prompt, history, deps, emit, streaming)
            if result is not None:
                message, answer = await self._store_answer(inbound, user_message, route, result,
                                                           triage_usage)
            else:
                span.set_attribute("fallback", True)
                message, answer = await self._store_fallback(inbound, user_message, route, prompt,
                                                             triage_usage, failure)
            turn = TurnResult(user_message=user_message, message=message, route=route, answer=answer,
                              whatsapp_text=answer.to_whatsapp())
            emit(DoneEvent(user_message=user_message, message=message))
            return turn

    async def _user_message(self, inbound: InboundMessage) -> Message:
        store = self.store
        if inbound.message_id is not None:
            stored = await store.messages.get(inbound.message_id, user_id=inbound.user_id)
            if stored is None:
                raise TurnRejected("the stored user message does not exist")
            return stored
        first = inbound.attachments[0] if inbound.attachments else None
        meta = await store.files.get(first.file_id, user_id=inbound.user_id) if first else None
        message = await store.messages.add(
            inbound.conversation_id, inbound.user_id, is_from_user=True,
            content=inbound.text or None, channel=inbound.channel,
            message_type=first.kind if first else MessageType.text,
            file_id=meta.id if meta else None, file_path=meta.file_path if meta else None,
            whatsapp_message_id=inbound.external_id,
        )
        if message is None:  # a replayed WhatsApp id: answer against the stored one
            message = await store.messages.get_by_wamid(inbound.external_id or "")
            if message is None:
                raise TurnRejected("duplicate message id")
        return message

    async def _recent(self, conversation_id: UUID, current: UUID) -> list[tuple[str, str]]:
        page = await self.store.messages.page(conversation_id, limit=RECENT_MESSAGES + 1)
        recent = []
        for m in reversed(page.items):
            if m.id == current:
                continue
            speaker = "user" if m.is_from_user else f"ignacio ({m.agent or 'general'})"
            text = m.content or (f"[{m.message_type.value}: {m.file_name}]" if m.file_name else "")
            if text:
                recent.append((speaker, text))
        return recent[-RECENT_MESSAGES:]

    async def _route(self, inbound: InboundMessage, user: User,
                     recent: list[tuple[str, str]]) -> tuple[Route, RunUsage | None]:
        text = inbound.text or " ".join(f"[{a.kind.value}: {a.file_name}]" for a in inbound.attachments)
        deps = TriageDeps(user_name=user.name, preferred_language=user.preferred_language, recent=recent)
        try:
            async with asyncio.timeout(self.settings.model_timeout_seconds):
                result = await triage_agent.run(
                    text, deps=deps, model=self.triage_model,
                    model_settings=model_settings(self.settings, triage=True),
                )
            route = result.output
            if not _LANGUAGE_CODE.fullmatch(route.language):  # e.g. "" or "unknown"
                route = route.model_copy(
                    update={"language": detect_language(text, user.preferred_language)})
            return route, result.usage
        except Exception as exc:  # the router is an optimisation: keywords still route
            log.warning("triage failed (%s): routing by keywords", error_code(exc))
            route = route_by_keywords(text, user.preferred_language)
            return route.model_copy(update={"reason": f"{route.reason} [router unavailable]"}), None

    async def _prompt(self, inbound: InboundMessage, user: User) -> str | list[UserContent]:
        """The user's words plus a reference to each attachment; images also as image input
        when the model takes them (stored history keeps only the reference)."""
        lines = [inbound.text] if inbound.text else []
        images: list[UserContent] = []
        send_images = supports_image_input(self.model)
        for attachment in inbound.attachments:
            meta = await self.store.files.get(attachment.file_id, user_id=user.id)
            if meta is None:
                continue
            ref = f"{ATTACHMENT_NOTE_PREFIX}{meta.kind.value}: {meta.file_name} (file_id {meta.id})"
            if meta.transcript:
                ref += f'; transcript: "{meta.transcript}"'
            elif meta.kind is MessageType.document:
                ref += "; read its text with read_file"
            lines.append(ref + "]")
            if (send_images and meta.kind is MessageType.image and meta.file_type in IMAGE_TYPES
                    and meta.file_size <= MAX_IMAGE_BYTES):
                try:
                    data = b"".join([chunk async for chunk in self.blobs.get(meta.file_path)])
                except Exception as exc:  # the reference is still in the prompt; answer anyway
                    log.warning("attached image could not be read (%s)",
                                "missing" if isinstance(exc, BlobNotFound) else type(exc).__name__)
                    continue
                images.append(BinaryContent(data=data, media_type=meta.file_type, identifier=str(meta.id)))
        text = "\n".join(lines)
        return [text, *images] if images else text

    async def _answer(
        self, route: Route, prompt: str | list[UserContent], history: list[Any], deps: AdvisorDeps,
        emit: Emit, streaming: bool,
    ) -> tuple[AgentRunResult[AdvisorAnswer] | None, BaseException | None]:
        agent = SPECIALISTS[route.specialist]
        attempts = max(1, self.settings.model_attempts)
        failure: BaseException | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                emit(RetryEvent(attempt=attempt))
            stream = _AnswerStream(route.specialist, emit, offline=self.offline, language=route.language)
            try:
                async with asyncio.timeout(self.settings.model_timeout_seconds):
                    result = await agent.run(
                        prompt, message_history=history, deps=deps, model=self.model,
                        model_settings=model_settings(self.settings),
                        conversation_id=str(deps.conversation_id),
                        event_stream_handler=stream.handle if streaming else None,
                    )
                return result, None
            except Exception as exc:
                failure = exc
                log.warning("%s attempt %d/%d failed: %s", route.specialist.value, attempt, attempts,
                            error_code(exc), exc_info=not isinstance(exc, TimeoutError | ModelAPIError))
                if isinstance(exc, ModelRequestRejectedError):
                    break  # bad key, unknown model, context too long: trying again will not help
        return None, failure

    async def _store_answer(
        self, inbound: InboundMessage, user_message: Message, route: Route,
        result: AgentRunResult[AdvisorAnswer], triage_usage: RunUsage | None,
    ) -> tuple[Message, AdvisorAnswer]:
        answer = result.output.model_copy(update={"offline": self.offline, "language": route.language})
        usage = _usage_dict(result.usage)
        triage = _usage_dict(triage_usage)
        usage_record: dict[str, Any] = {
            "input_tokens": usage["input_tokens"] + triage["input_tokens"],
            "output_tokens": usage["output_tokens"] + triage["output_tokens"],
            "requests": usage["requests"] + triage["requests"],
            "model": model_label(self.model),
            "specialist": {**usage, "tool_calls": result.usage.tool_calls},
            "triage": {**triage, "model": model_label(self.triage_model)},
        }
        stored_messages, usage_record["history_tokens"] = prepare_for_storage(result.new_messages())
        message = await self.store.messages.add(
            inbound.conversation_id, inbound.user_id, is_from_user=False,
            content=answer.to_markdown(), channel=inbound.channel,
            agent=route.specialist.value, route_reason=route.reason,
            answer=answer.model_dump(mode="json"), usage=usage_record,
            model_messages=stored_messages, reply_to_id=user_message.id,
            # WhatsApp answers are sent after the turn; their deliveries move the status on.
            status=DeliveryStatus.pending if inbound.channel is Channel.whatsapp else DeliveryStatus.sent,
        )
        assert message is not None
        return message, answer

    async def _store_fallback(
        self, inbound: InboundMessage, user_message: Message, route: Route,
        prompt: str | list[UserContent], triage_usage: RunUsage | None, failure: BaseException | None,
    ) -> tuple[Message, AdvisorAnswer]:
        language = label_language(route.language or detect_language(inbound.text))
        answer = GeneralResponse(message=FALLBACK_MESSAGES[language], follow_up_questions=[],
                                 language=language)
        code = error_code(failure) if failure else "model_error"
        # Keep the question in the replayable history, so the next turn can still refer to it.
        stored_messages, history_tokens = prepare_for_storage([ModelRequest(parts=[UserPromptPart(prompt)])])
        usage = {**_usage_dict(triage_usage), "model": model_label(self.model), "error": code,
                 "history_tokens": history_tokens}
        message = await self.store.messages.add(
            inbound.conversation_id, inbound.user_id, is_from_user=False,
            content=answer.to_markdown(), channel=inbound.channel,
            agent=route.specialist.value, route_reason=route.reason,
            answer=answer.model_dump(mode="json"), usage=usage,
            model_messages=stored_messages, is_fallback=True,
            status=DeliveryStatus.failed, error_code=code, reply_to_id=user_message.id,
        )
        assert message is not None
        return message, answer


def _log_failure(task: asyncio.Task[Any]) -> None:
    """Retrieve a background turn's exception so it is logged once, even if nobody awaited it."""
    if task.cancelled():
        return
    with suppress(Exception):
        exc = task.exception()
        if exc is not None and not isinstance(exc, TurnRejected):
            log.error("turn failed outside the model path", exc_info=exc)
