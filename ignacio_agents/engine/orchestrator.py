"""The conversation engine: one advisor turn, the same for every channel.

A turn stores the user message (unless the channel already did), titles a new conversation,
loads the profile and the replayable history, asks the triage agent for a ``Route``, runs that
specialist with the shared history and tools, and stores the assistant message with its agent,
typed answer, Markdown rendering, usage and the turn's PydanticAI messages. Each of those jobs
lives in its own module of this package; this one only puts them in order.

Model failures never escape: a failed attempt (exception, timeout, output that stays invalid
after the agent's own retries) is retried ``model_attempts`` times, then answered with a polite
fallback in the user's language, stored with ``is_fallback`` and status ``failed``; the user
message stays and the next turn works. A broken router falls back to keyword routing. What
does raise is a turn the channel should not have started (``TurnRejected``: unknown user or
conversation) or a database failure, which a durable job should retry.

Models come from settings (``llm.resolve_model``) unless handed in: tests pass scripted
``FunctionModel``s as ``ConversationEngine(store, blobs, settings, model=..., triage_model=...)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any
from uuid import UUID

from opentelemetry import trace
from pydantic_ai import AgentRunResult, UsageLimits
from pydantic_ai.exceptions import ModelContextWindowExceededError
from pydantic_ai.messages import UserContent
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage

from ignacio_agents import tokens
from ignacio_agents.agents import SPECIALISTS, AdvisorDeps, Reroute, Route
from ignacio_agents.agents.specialists import SpecialistOutput
from ignacio_agents.blobs import BlobStore
from ignacio_agents.channel import ChannelRegistry
from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.embeddings import Embeddings
from ignacio_agents.engine.answers import store_answer, store_fallback, store_stopped
from ignacio_agents.engine.context import TurnContext, TurnRejected, resolve_context, user_message
from ignacio_agents.engine.fallback import (
    error_code,
    expected_failure,
    fallback_answer,
    provider_failure,
    worth_retrying,
)
from ignacio_agents.engine.feedback_replies import answer_feedback_reply, feedback_reply
from ignacio_agents.engine.human import answer_human_request, flag_out_of_scope, stop_for_pause
from ignacio_agents.engine.limits import ROUTER_SHARE, ModelCircuit, ModelCircuitOpen, TurnDeadline
from ignacio_agents.engine.prompt import build_prompt
from ignacio_agents.engine.routing import handed_back, recent_exchange, route_turn
from ignacio_agents.engine.stopping import TurnStopped, unless_stopped
from ignacio_agents.engine.streaming import AnswerStream
from ignacio_agents.engine.titles import title_for
from ignacio_agents.engine.usage import answer_usage, fallback_usage, routed_only_usage
from ignacio_agents.events import DoneEvent, RetryEvent, RouteEvent, TurnEvent, TurnResult
from ignacio_agents.history_cache import HistoryCache
from ignacio_agents.language import detect_language
from ignacio_agents.llm import (
    close_model,
    context_window,
    is_offline,
    model_label,
    model_settings,
    resolve_model,
    supports_image_input,
)
from ignacio_agents.llm.provider_limits import ProviderGates
from ignacio_agents.participant_memory import (
    TurnMemory,
    expected_history_budget,
    profile_tokens,
    recall,
)
from ignacio_agents.responses import AdvisorAnswer
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store
from ignacio_agents.store.profiles import ProjectProfile
from ignacio_agents.usage_caps import Hold, UsageCaps
from ignacio_agents.usage_ledger import account_turn, ledger_line

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("ignacio.engine")

Emit = Callable[[TurnEvent], None]
Turn = InboundMessage | TurnContext
# After a provider's "context too long", the history ceiling is divided by this (and the
# window believed in by 2) for one retry.
SHRINK_FACTOR = 4


def user_hash(user_id: UUID) -> str:
    """A stable pseudonym for traces (never the phone number)."""
    return hashlib.sha256(str(user_id).encode()).hexdigest()[:16]


class ConversationEngine:
    def __init__(self, store: Store, blobs: BlobStore, settings: Settings, *,
                 model: Model | None = None, triage_model: Model | None = None,
                 embeddings: Embeddings | None = None,
                 channels: ChannelRegistry | None = None, jobs: Any = None):
        self.store = store
        self.jobs = jobs  # the job app: a request for a person queues the mentor alert
        self.embeddings = embeddings  # makes the specialists' searches hybrid
        self.blobs = blobs
        self.settings = settings
        self.channels = channels or ChannelRegistry()
        tokens.configure(settings.data_dir)
        # Models this engine resolves itself share per-provider caps (handed-in ones are as given).
        self.provider_gates = ProviderGates(
            settings.model_max_concurrency, max_backoff=settings.model_rate_limit_max_backoff_seconds)
        self._owned: list[Model] = []  # resolved here, so closed here (handed-in ones are not)
        self.model = model or self._resolved(None)
        if triage_model is not None:
            self.triage_model = triage_model
        elif settings.pydantic_ai_triage_model:
            self.triage_model = self._resolved(settings.pydantic_ai_triage_model)
        else:
            self.triage_model = self.model
        self.context_window = context_window(self.model, settings.pydantic_ai_context_window)
        self.send_images = supports_image_input(self.model, settings.pydantic_ai_image_input)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.history = HistoryCache()  # stored turns, validated once per engine
        self.caps = UsageCaps(store, settings)
        self._stops: dict[UUID, asyncio.Event] = {}  # streamed turns running here, by conversation
        self.circuit = ModelCircuit(settings.model_circuit_failures,
                                    settings.model_circuit_cooldown_seconds)
        self.encoding_name = tokens.encoding_name_for(self.model.model_name)
        # about a second of loading, not in the first turn
        tokens.warm_up_in_background(self.encoding_name)

    @classmethod
    def from_runtime(cls, runtime: Any, **models: Model | None) -> ConversationEngine:
        return cls(runtime.store, runtime.blobs, runtime.settings,
                   embeddings=runtime.embeddings, channels=runtime.channels, jobs=runtime.jobs,
                   **models)

    def _resolved(self, name: str | None) -> Model:
        model = resolve_model(self.settings, name)
        self._owned.append(model)
        return model if is_offline(model) else self.provider_gates.wrap(model)

    async def aclose(self) -> None:
        """Close the HTTP clients of the models this engine resolved."""
        for model in self._owned:
            await close_model(model)
        self._owned.clear()

    @property
    def offline(self) -> bool:
        return is_offline(self.model)

    # --- public API ------------------------------------------------------------------------
    async def run_turn(self, turn: Turn) -> TurnResult:
        """Run one turn to the end (answer jobs, JSON clients)."""
        return await self._turn(turn, None)

    async def stream_turn(self, turn: Turn) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding its events. The turn runs in its own task: if the consumer
        stops early (a client went away), the turn still finishes and is stored."""
        queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()
        listening = True

        def emit(event: TurnEvent) -> None:
            if listening:
                queue.put_nowait(event)

        inbound = turn.inbound if isinstance(turn, TurnContext) else turn
        stop = self._stops[inbound.conversation_id] = asyncio.Event()
        task = asyncio.create_task(self._turn(turn, emit, stop), name=f"turn-{inbound.conversation_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._stops.pop(inbound.conversation_id, None)
                               if self._stops.get(inbound.conversation_id) is stop else None)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        task.add_done_callback(_log_failure)
        try:
            while (event := await queue.get()) is not None:
                yield event
            task.result()  # a turn that could not run (TurnRejected, database down) raises here
        finally:
            listening = False

    def stop(self, conversation_id: UUID) -> bool:
        """Stop the streamed turn running in this process for the conversation: the model run is
        cancelled and what it had written is stored as the answer, marked ``stopped``. False
        when no such turn runs here."""
        stop = self._stops.get(conversation_id)
        if stop is None:
            return False
        stop.set()
        return True

    def is_running(self, conversation_id: UUID) -> bool:
        """A streamed turn is being written in this process for the conversation."""
        return conversation_id in self._stops

    async def wait_idle(self) -> None:
        """Wait for turns still running after their stream's consumer left (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    # --- one turn --------------------------------------------------------------------------
    async def _turn(self, turn: Turn, emit: Emit | None,
                    stop: asyncio.Event | None = None) -> TurnResult:
        streaming = emit is not None
        emit = emit or (lambda _event: None)
        inbound = turn.inbound if isinstance(turn, TurnContext) else turn
        attributes = {"conversation_id": str(inbound.conversation_id),
                      "user_hash": user_hash(inbound.user_id), "channel": inbound.channel}
        with _tracer.start_as_current_span("ignacio turn", attributes=attributes) as span:
            deadline = TurnDeadline(self.settings.turn_deadline_seconds)
            store = self.store
            start = await store.turns.start(  # user, conversation, cohort, pause, profile
                inbound.user_id, inbound.conversation_id, message_id=inbound.message_id,
                pause_timeout_seconds=self.settings.mentor_pause_timeout_seconds)
            context = turn if isinstance(turn, TurnContext) else await resolve_context(
                store, turn, start)
            user, conversation = context.user, context.conversation
            # over a cap: raises
            hold = context.hold or await self.caps.reserve(user.id, cohort=start.cohort)
            question = await user_message(store, context, start.message)
            await stop_for_pause(store, question, start.pause)  # a mentor has the conversation
            if (tapped := feedback_reply(inbound.text)) is not None and (
                    answered := await answer_feedback_reply(
                        store, self.settings, inbound, question, tapped,
                        deferred=self.channels.traits(inbound.channel).defers_delivery)):
                message, thanks = answered
                emit(DoneEvent(user_message=question, message=message))
                return TurnResult(user_message=question, message=message, answer=thanks,
                                  route=Route(reason="feedback", specialist=Specialist.general,
                                              language=thanks.language or "es"))
            if not conversation.title and (title := title_for(inbound)):
                await store.conversations.set_title_if_empty(conversation.id, title)

            budget = self.settings.history_token_budget
            profile = start.profile
            rows, recent = await asyncio.gather(
                store.messages.model_history_turns(conversation.id, budget),
                recent_exchange(store, conversation.id, question.id),
            )
            (route, triage_usage), memory = await asyncio.gather(  # memory while the router thinks
                route_turn(inbound, user, recent, model=self.triage_model, settings=self.settings,
                           time_limit=self._router_timeout(deadline)),
                self._memory(user.id, conversation.id, budget, profile),
            )
            emit(RouteEvent(specialist=route.specialist, reason=route.reason, language=route.language))

            traits = self.channels.traits(inbound.channel)
            if route.specialist is Specialist.human:  # a person was asked for: no model answers
                usage = routed_only_usage(triage_usage, triage_model=model_label(self.triage_model))
                message, told = await answer_human_request(
                    store, self.jobs, inbound, question, route, usage,
                    deferred=traits.defers_delivery)
                emit(DoneEvent(user_message=question, message=message))
                return TurnResult(user_message=question, message=message, route=route, answer=told)
            prompt = await build_prompt(inbound.text, context.files, self.blobs,
                                        send_images=self.send_images)
            deps = AdvisorDeps(
                store=store, user=user, conversation_id=conversation.id, message_id=question.id,
                specialist=route.specialist, language=route.language, channel=inbound.channel,
                channel_traits=traits, profile=profile, history_token_budget=budget,
                context_window=self.context_window, may_hand_back=True, embeddings=self.embeddings,
            )
            route, result, failure, spent = await self._specialists(
                route, prompt, memory.ahead_of(self.history.load(rows)), deps, emit, streaming,
                deadline, stop)
            span.set_attribute("specialist", route.specialist.value)
            answer: AdvisorAnswer
            if result is not None and stop is not None and stop.is_set() \
                    and isinstance(result.output, AdvisorAnswer):
                failure, result = TurnStopped(result.output), None  # Stop after the run, before the store
            if result is not None and isinstance(result.output, AdvisorAnswer):
                answer = result.output.model_copy(update={"offline": self.offline,
                                                          "language": route.language})
                usage = answer_usage(spent, triage_usage, model=model_label(self.model),
                                     triage_model=model_label(self.triage_model))
                message = await store_answer(store, inbound, question, route, result, answer, usage,
                                             deferred=traits.defers_delivery)
                await flag_out_of_scope(store, route, question)
            elif isinstance(failure, TurnStopped):
                answer = failure.answer
                usage = fallback_usage(triage_usage, model=model_label(self.model), error="stopped")
                message = await store_stopped(store, inbound, question, route, prompt, answer, usage)
            else:
                span.set_attribute("fallback", True)
                code = error_code(failure) if failure else "model_error"
                answer = fallback_answer(route.language or detect_language(inbound.text))
                usage = fallback_usage(triage_usage, model=model_label(self.model), error=code)
                message = await store_fallback(store, inbound, question, route, prompt, answer,
                                               usage, code)
            await self._account(hold, message.id, triage_usage, spent)
            emit(DoneEvent(user_message=question, message=message))
            return TurnResult(user_message=question, message=message, route=route, answer=answer)

    async def _account(self, hold: Hold, message_id: UUID, triage: RunUsage | None,
                       specialists: RunUsage) -> None:
        """The turn's ledger rows (router and specialists), releasing its cap reservation."""
        await account_turn(self.store, hold, [
            ledger_line("triage", model_label(self.triage_model), triage, self.settings),
            ledger_line("answer", model_label(self.model), specialists, self.settings),
        ], message_id=message_id)

    async def _memory(self, user_id: UUID, conversation_id: UUID, ceiling: int,
                      profile: ProjectProfile) -> TurnMemory:
        """The participant's memory, led into the history (``participant_memory``)."""
        # In a thread only while the tokenizer may still be loading (about a second): once
        # loaded, a few cached counts cost less than the thread hop.
        if profile.is_empty():
            profile_cost = 0
        elif tokens.is_loaded(self.encoding_name):
            profile_cost = profile_tokens(profile, self.encoding_name)
        else:
            profile_cost = await asyncio.to_thread(profile_tokens, profile, self.encoding_name)
        expected = expected_history_budget(ceiling, self.context_window,
                                           self.settings.pydantic_ai_max_tokens, profile_cost)
        return await recall(self.store, user_id=user_id, conversation_id=conversation_id,
                            history_budget=expected,
                            configured_budget=self.settings.memory_token_budget)

    def _router_timeout(self, deadline: TurnDeadline) -> float:
        """No router call while the circuit is open (keywords route at once)."""
        if self.circuit.opened_at is not None and not self.circuit.allow():
            return 0.0
        return deadline.cap(self.settings.model_timeout_seconds, ROUTER_SHARE)

    async def _specialists(
        self, route: Route, prompt: str | list[UserContent], history: list[Any], deps: AdvisorDeps,
        emit: Emit, streaming: bool, deadline: TurnDeadline, stop: asyncio.Event | None = None,
    ) -> tuple[Route, AgentRunResult[SpecialistOutput] | None, BaseException | None, RunUsage]:
        """The routed specialist's answer; when it hands the question back, the specialist it
        names answers instead, once (that one is not offered a hand-back, so it never loops).
        Also what the specialists spent, the hand-back included."""
        result, failure = await self._answer(route, prompt, history, deps, emit, streaming, deadline,
                                             stop)
        if result is None or not isinstance(result.output, Reroute):
            return route, result, failure, result.usage if result else RunUsage()
        handed = result
        route = handed_back(route, result.output, by=deps.specialist)
        log.info("%s handed the question back to %s", deps.specialist.value, route.specialist.value)
        emit(RouteEvent(specialist=route.specialist, reason=route.reason, language=route.language))
        deps = replace(deps, specialist=route.specialist, may_hand_back=False)
        result, failure = await self._answer(route, prompt, history, deps, emit, streaming, deadline,
                                             stop)
        return route, result, failure, handed.usage + (result.usage if result else RunUsage())

    async def _answer(
        self, route: Route, prompt: str | list[UserContent], history: list[Any], deps: AdvisorDeps,
        emit: Emit, streaming: bool, deadline: TurnDeadline, stop: asyncio.Event | None = None,
    ) -> tuple[AgentRunResult[SpecialistOutput] | None, BaseException | None]:
        """Run the specialist, up to ``model_attempts`` times within the turn's deadline and
        while the circuit lets calls through; the result or the last failure (``TurnStopped``
        with what was written, when the participant stopped it)."""
        agent = SPECIALISTS[route.specialist]
        attempts = max(1, self.settings.model_attempts)
        limits = UsageLimits(request_limit=self.settings.turn_request_limit,
                             tool_calls_limit=self.settings.turn_tool_calls_limit)
        failure: BaseException | None = None
        shrunk = False
        attempt = 0
        while attempt < attempts:
            attempt += 1
            timeout = deadline.cap(self.settings.model_timeout_seconds)
            if not self.circuit.allow():
                failure = ModelCircuitOpen()
                break
            if timeout <= 0:
                failure = failure or TimeoutError()
                break
            if attempt > 1:
                emit(RetryEvent(attempt=attempt))
            stream = AnswerStream(route.specialist, emit, offline=self.offline, language=route.language,
                                  attempt=attempt)
            try:
                async with asyncio.timeout(timeout):
                    result = await unless_stopped(agent.run(
                        prompt, message_history=history, deps=deps, model=self.model,
                        model_settings=model_settings(self.settings),
                        conversation_id=str(deps.conversation_id), usage_limits=limits,
                        event_stream_handler=stream.handle if streaming else None,
                    ), stop)
                self.circuit.succeeded()
                if stop is not None and stop.is_set() and isinstance(result.output, AdvisorAnswer):
                    # Stop landed as the run ended: the participant was told it stopped.
                    return None, TurnStopped(result.output)
                return result, None
            except TurnStopped:
                return None, TurnStopped(stream.answer_so_far())
            except ModelContextWindowExceededError as exc:
                failure = exc
                if shrunk:
                    break
                # The provider's window is smaller than we were told (or counts differently):
                # once more as if it were half as large, with a quarter of the history ceiling
                # (an extra attempt, so a conversation can never get stuck on its own length).
                log.warning("%s: context window exceeded; retrying with a smaller history",
                            route.specialist.value)
                deps.history_token_budget = max(1, deps.history_token_budget // SHRINK_FACTOR)
                if deps.context_window:
                    deps.context_window //= 2
                shrunk, attempts = True, attempts + 1
            except Exception as exc:
                failure = exc
                if provider_failure(exc):
                    self.circuit.failed()
                log.warning("%s attempt %d/%d failed: %s", route.specialist.value, attempt, attempts,
                            error_code(exc), exc_info=not expected_failure(exc))
                if not worth_retrying(exc):
                    break  # bad key, unknown model, context too long: trying again will not help
        return None, failure


def _log_failure(task: asyncio.Task[Any]) -> None:
    """Retrieve a background turn's exception so it is logged once, even if nobody awaited it."""
    if task.cancelled():
        return
    with suppress(Exception):
        exc = task.exception()
        if exc is not None and not isinstance(exc, TurnRejected):
            log.error("turn failed outside the model path", exc_info=exc)
