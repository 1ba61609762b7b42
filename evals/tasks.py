"""What each suite runs for one case: the router alone, or a whole engine turn.

Offline, the router is the offline keyword model and the specialists answer through the
scripted model (``evals.scripted``). With a model, both are that model. Either way the real
agents, tools, engine and store do the work: only the model at the provider boundary changes.

A turn that fell back (the engine answers model failures with a polite apology) or whose router
failed (the engine then routes by keywords) raises here, so it lands in ``report.failures`` and
fails the run instead of quietly lowering, or even raising, a score.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel

from channels.web.channel import WebChannel
from channels.whatsapp.channel import WhatsAppChannel
from channels.whatsapp.render import answer_text, whatsapp_parts
from channels.whatsapp.settings import WhatsAppSettings
from evals.cases import AnswerRun, Question, Turn
from evals.scripted import scripted_advisor
from evals.seed import new_participant
from ignacio_agents.agents import ROUTE_TOOL, TriageDeps, triage_agent
from ignacio_agents.agents.routing import language_from_hint
from ignacio_agents.blobs import BlobStore
from ignacio_agents.channel import ChannelRegistry
from ignacio_agents.domain import InboundMessage, Specialist
from ignacio_agents.embeddings import Embeddings
from ignacio_agents.engine import RECENT_MESSAGES, ConversationEngine
from ignacio_agents.errors import IgnacioError
from ignacio_agents.language import detect_language
from ignacio_agents.llm import model_settings
from ignacio_agents.offline import OfflineModel, latest_user_text
from ignacio_agents.responses import parse_answer
from ignacio_agents.settings import Settings
from ignacio_agents.store import Store

Mode = Literal["offline", "model"]
PARTICIPANT_NAME = "Lucía"
PREFERRED_LANGUAGE = "es"  # the users table's default


class TurnFailed(IgnacioError):
    """The engine had to fall back: in an eval that is a failure, never a score."""

    code = "eval_turn_failed"


@dataclass
class Harness:
    """Everything the tasks share for one run."""

    mode: Mode
    settings: Settings
    model: Model | None = None  # the real model (model mode)
    triage_model: Model | None = None
    judge_model: Model | None = None
    store: Store | None = None
    blobs: BlobStore | None = None
    answer_model_factory: Callable[[], Model] | None = None  # offline default: scripted_advisor
    embeddings: Embeddings | None = None  # recall suite: hybrid when set

    def router_model(self) -> Model:
        if self.mode == "model":
            assert self.triage_model is not None
            return self.triage_model
        return OfflineModel()

    def answer_model(self) -> Model:
        if self.mode == "model":
            assert self.model is not None
            return self.model
        return (self.answer_model_factory or scripted_advisor)()


def recent_for_router(history: list[Turn]) -> list[tuple[str, str]]:
    """The history as the engine shows it to the router: speaker labels and the newest turns."""
    return [
        ("user" if t.role == "user" else f"ignacio ({t.specialist.value if t.specialist else 'general'})",
         t.text)
        for t in history
    ][-RECENT_MESSAGES:]


def routing_task(harness: Harness) -> Callable[[Question], Awaitable[str]]:
    """The triage agent alone (not through the engine, which would hide a failing router behind
    its keyword fallback). Returns the specialist's name."""

    async def route(question: Question) -> str:
        deps = TriageDeps(user_name=PARTICIPANT_NAME, preferred_language=PREFERRED_LANGUAGE,
                          recent=recent_for_router(question.history))
        result = await triage_agent.run(
            question.message, deps=deps, model=harness.router_model(),
            model_settings=model_settings(harness.settings, triage=True),
        )
        return result.output.specialist.value

    return route


def forced_router(specialist: Specialist) -> FunctionModel:
    """A router that always picks ``specialist`` (the answer suites test one specialist at a
    time), with the language the app's own detector gives."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        text = latest_user_text(messages)
        language = detect_language(text, language_from_hint(info.instructions) or PREFERRED_LANGUAGE)
        return ModelResponse(parts=[ToolCallPart(ROUTE_TOOL, {
            "specialist": specialist.value, "reason": f"eval: sent to {specialist.value}",
            "language": language,
        })])

    return FunctionModel(respond, model_name=f"forced-{specialist.value}")


def eval_channels() -> ChannelRegistry:
    """The app's channels with their traits (WhatsApp unconfigured: nothing is sent)."""
    settings = WhatsAppSettings(_env_file=None)  # type: ignore[call-arg]
    return ChannelRegistry([WebChannel(), WhatsAppChannel(settings)])


def turn_task(harness: Harness, *, with_project: bool) -> Callable[[Question], Awaitable[AnswerRun]]:
    """One whole engine turn for a fresh participant (with the Huerta Viva project, files and
    earlier chats when ``with_project``), rendered for the web and WhatsApp from the stored
    message, as the channels do."""

    async def turn(question: Question) -> AnswerRun:
        assert harness.store is not None and harness.blobs is not None
        channel = question.channel
        participant = await new_participant(harness.store, with_project=with_project,
                                            channel=channel, history=question.history)
        forced = question.specialist is not None
        router = forced_router(question.specialist) if question.specialist else harness.router_model()
        engine = ConversationEngine(harness.store, harness.blobs, harness.settings,
                                    model=harness.answer_model(), triage_model=router,
                                    channels=eval_channels())
        result = await engine.run_turn(InboundMessage(
            user_id=participant.user.id, conversation_id=participant.conversation_id,
            channel=channel, text=question.message,
        ))
        stored = result.message
        if stored.is_fallback:
            raise TurnFailed(f"the engine fell back instead of answering ({stored.error_code})")
        if not forced and "[router unavailable]" in result.route.reason:
            raise TurnFailed("the router failed and the engine routed by keywords")
        if stored.answer is None:
            raise TurnFailed("the stored message has no typed answer")
        answer = parse_answer(stored.answer)
        return AnswerRun(
            specialist=result.route.specialist, answer=answer, route=result.route,
            markdown=stored.content or "", whatsapp=answer_text(answer),
            whatsapp_parts=whatsapp_parts(stored),
        )

    return turn


def task_for(suite: str, harness: Harness) -> Callable[[Question], Awaitable[Any]]:
    if suite == "routing":
        return routing_task(harness)
    return turn_task(harness, with_project=suite == "tool_use")
