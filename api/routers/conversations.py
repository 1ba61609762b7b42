"""The web chat API: a participant's conversations, their messages, and running turns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import CurrentUser, RuntimeDep, StoreDep
from api.routers.files import FileOut, upload_file
from api.schemas import (
    ErrorResponse,
    Input,
    Message,
    PlainText,
    SearchMatch,
    SnippetPart,
    message_model,
)
from api.sse import sse_stream
from api.turn_stream import TurnFramer
from ignacio_agents.domain import WEB_CHANNEL, Attachment, InboundMessage
from ignacio_agents.engine import TurnContext
from ignacio_agents.errors import Conflict, IgnacioError, InvalidInput, NotFound
from ignacio_agents.notify import request_stop
from ignacio_agents.runtime import Runtime
from ignacio_agents.store.base import Page
from ignacio_agents.store.conversations import Conversation
from ignacio_agents.store.messages import NewMessage, StoredMessage

router = APIRouter(tags=["conversations"])


class ConversationCreate(Input):
    title: str | None = Field(default=None, max_length=255)


class ConversationRename(Input):
    title: str = Field(min_length=1, max_length=255)


class MessageCreate(Input):
    content: str = Field(default="", max_length=20_000)
    file_ids: list[UUID] = Field(default_factory=list, max_length=10)


FeedbackTag = Literal["incorrect", "not_helpful", "unclear", "too_long", "wrong_language",
                      "other"]


class FeedbackIn(Input):
    value: int = Field(ge=-1, le=1, strict=True,  # JSON true is not a vote
                       description="1 = helpful, -1 = not helpful, 0 = clear")
    tags: list[FeedbackTag] = Field(default_factory=list, max_length=6,
                                    description="Why (optional); a 👎 with a reason reaches "
                                    "the mentors' queue with it.")
    comment: str | None = Field(default=None, max_length=1000)


class TurnOut(BaseModel):
    user_message: Message
    message: Message


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None = None


class ConversationUpload(BaseModel):
    file: FileOut
    message: Message


async def _own_conversation(store: Any, conversation_id: UUID, user_id: UUID) -> Conversation:
    conv = await store.conversations.get(conversation_id, user_id=user_id)
    if conv is None:
        raise NotFound.of("conversation")
    return conv


@router.get("/conversations", response_model=Page[Conversation])
async def list_conversations(
    user: CurrentUser, store: StoreDep,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[Conversation]:
    return await store.conversations.list_for_user(user.id, limit=limit, cursor=cursor)


class ConversationHit(BaseModel):
    """One of the participant's conversations that matches a search, with the best message."""

    id: UUID
    title: str | None
    channel: str
    updated_at: datetime
    match: SearchMatch


class ConversationSearchPage(BaseModel):
    items: list[ConversationHit]
    next_cursor: str | None = None


@router.get("/conversations/search", response_model=ConversationSearchPage,
            operation_id="search_my_conversations")
async def search_conversations(
    user: CurrentUser, store: StoreDep,
    q: Annotated[PlainText, Query(min_length=1, max_length=200)],
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> ConversationSearchPage:
    """The participant's own conversations, web and WhatsApp, that mention ``q``: newest
    activity first, each with the message that matches best and the words around the match
    (matched words flagged, never marked up). Nobody else's conversations can appear."""
    page = await store.conversations.search(user_id=user.id, q=q, limit=limit, cursor=cursor)
    matches = await store.messages.best_matches([c.id for c in page.items], q,
                                                as_participant=True)
    items = []
    for c in page.items:
        found = matches.get(c.id)
        if found is None:
            continue  # matched on a title word only, or the message has just been deleted
        items.append(ConversationHit(
            id=c.id, title=c.title, channel=c.channel, updated_at=c.updated_at,
            match=SearchMatch(message_id=found.message_id,
                              snippet=[SnippetPart(text=t, match=m) for t, m in found.parts])))
    return ConversationSearchPage(items=items, next_cursor=page.next_cursor)


@router.post("/conversations", status_code=201, response_model=Conversation)
async def create_conversation(body: ConversationCreate, user: CurrentUser,
                              store: StoreDep) -> Conversation:
    title = body.title.strip() if body.title and body.title.strip() else None
    return await store.conversations.create(user.id, WEB_CHANNEL, title)


@router.patch("/conversations/{conversation_id}", response_model=Conversation)
async def rename_conversation(conversation_id: UUID, body: ConversationRename, user: CurrentUser,
                              store: StoreDep) -> Conversation:
    conv = await store.conversations.rename(conversation_id, user.id, body.title.strip())
    if conv is None:
        raise NotFound.of("conversation")
    return conv


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: UUID, user: CurrentUser, store: StoreDep) -> Response:
    """Deletes the conversation and its messages; the files stay in the user's library."""
    if not await store.conversations.delete(conversation_id, user.id):
        raise NotFound.of("conversation")
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: UUID, user: CurrentUser, runtime: RuntimeDep,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """Newest page first; pass ``next_cursor`` back to walk back in time. An answer a channel
    could not deliver says why (``delivery_error``)."""
    store = runtime.store
    page = await store.messages.page(conversation_id, owner_id=user.id, limit=limit,
                                     cursor=cursor)
    if not page.items:  # an empty page, or not their conversation: only then a second query
        await _own_conversation(store, conversation_id, user.id)
    return MessagePage(items=[message_model(m, runtime.channels) for m in page.items],
                       next_cursor=page.next_cursor)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=TurnOut,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "JSON, or the turn's events (`TurnStreamEvent`) "
                                    "when the request accepts text/event-stream"},
               429: {"model": ErrorResponse,
                     "description": "A token cap is reached (code usage_cap_reached); the "
                                    "message says when it resets, Retry-After in how long"}},
)
async def send_message(conversation_id: UUID, body: MessageCreate, request: Request,
                       user: CurrentUser, runtime: RuntimeDep) -> Any:
    """Run one advisor turn. The turn is not tied to this request: if the client goes away,
    the answer is still stored."""
    store = runtime.store
    conversation = await _own_conversation(store, conversation_id, user.id)
    files = []
    for file_id in body.file_ids:
        f = await store.files.get(file_id, user_id=user.id)
        if f is None:
            raise NotFound.of("file")
        files.append(f)
    if not body.content.strip() and not files:
        raise InvalidInput("a message needs text or a file")
    attachments = [Attachment(file_id=f.id, file_name=f.file_name, content_type=f.file_type,
                              kind=f.kind, size=f.file_size) for f in files]
    inbound = InboundMessage(user_id=user.id, conversation_id=conversation_id, channel=WEB_CHANNEL,
                             text=body.content.strip(), attachments=attachments)
    return await _run_turn(request, user, runtime, conversation, inbound, tuple(files))


async def _run_turn(request: Request, user: Any, runtime: Any, conversation: Conversation,
                    inbound: InboundMessage, files: tuple[Any, ...],
                    before: Callable[[], Awaitable[Any]] | None = None) -> Any:
    """Run a web turn for ``inbound``: its events as SSE when the client accepts them, else the
    stored pair as JSON. ``before`` runs once the token cap let the turn through."""
    # Over a token cap: a 429 before anything is stored or streamed (the client keeps the text).
    hold = await runtime.engine.caps.reserve(user.id)
    if before is not None:
        await before()
    # Everything the turn refers to is checked here, so the engine fetches none of it again.
    context = TurnContext(inbound=inbound, user=user, conversation=conversation, files=files,
                          hold=hold)
    events = runtime.engine.stream_turn(context)  # the turn runs in its own task
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            sse_stream(events, TurnFramer()), media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
    async for event in events:
        if event.type == "done":
            return TurnOut(user_message=message_model(event.user_message),
                           message=message_model(event.message))
    raise IgnacioError("The turn ended without an answer.", code="turn_failed")  # a bug: a 500


_TURN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}},
          "description": "JSON, or the turn's events (`TurnStreamEvent`) when the request "
                         "accepts text/event-stream"},
    409: {"model": ErrorResponse, "description": "Not the conversation's last exchange "
          "(code not_last_exchange), or an answer is being written (code turn_running)"},
    429: {"model": ErrorResponse, "description": "A token cap is reached (code usage_cap_reached)"},
}


async def _last_exchange(runtime: Any, conversation_id: UUID, user_id: UUID) -> tuple[
        Conversation, StoredMessage, StoredMessage | None]:
    conversation = await _own_conversation(runtime.store, conversation_id, user_id)
    if runtime.engine.is_running(conversation_id):
        raise Conflict("An answer is still being written here: stop it first.",
                       code="turn_running")
    question, answer = await runtime.store.messages.last_exchange(conversation_id)
    if question is None:
        raise Conflict("This conversation has no question yet.", code="not_last_exchange")
    return conversation, question, answer


async def _question_inbound(runtime: Any, question: StoredMessage, user_id: UUID,
                            text: str) -> tuple[InboundMessage, tuple[Any, ...]]:
    """The stored question as a turn's inbound message (answered again, not stored again)."""
    files: tuple[Any, ...] = ()
    attachments = []
    if question.file_id is not None:
        f = await runtime.store.files.get(question.file_id, user_id=user_id)
        if f is not None:
            files = (f,)
            attachments = [Attachment(file_id=f.id, file_name=f.file_name, content_type=f.file_type,
                                      kind=f.kind, size=f.file_size)]
    inbound = InboundMessage(user_id=user_id, conversation_id=question.conversation_id,
                             channel=WEB_CHANNEL, text=text, attachments=attachments,
                             message_id=question.id)
    return inbound, files


@router.post("/conversations/{conversation_id}/messages/{message_id}/regenerate",
             response_model=TurnOut, responses=_TURN_RESPONSES)
async def regenerate_answer(conversation_id: UUID, message_id: UUID, request: Request,
                            user: CurrentUser, runtime: RuntimeDep) -> Any:
    """A new answer to the same question. ``message_id`` is the conversation's last answer; it
    stays as an alternative (``replaced`` = ``regenerated``) the participant can page through,
    and leaves the history the model replays."""
    conversation, question, answer = await _last_exchange(runtime, conversation_id, user.id)
    if answer is None or answer.id != message_id:
        raise Conflict("Only the last answer can be regenerated.", code="not_last_exchange")
    inbound, files = await _question_inbound(runtime, question, user.id, question.content or "")

    async def replace() -> None:
        await runtime.store.messages.replace_answers(question.id, "regenerated")

    return await _run_turn(request, user, runtime, conversation, inbound, files, replace)


class MessageEdit(Input):
    content: str = Field(min_length=1, max_length=20_000)


@router.post("/conversations/{conversation_id}/messages/{message_id}/edit",
             response_model=TurnOut, responses=_TURN_RESPONSES)
async def edit_and_resend(conversation_id: UUID, message_id: UUID, body: MessageEdit,
                          request: Request, user: CurrentUser, runtime: RuntimeDep) -> Any:
    """Edit the participant's last message and answer it again. The earlier wording is kept as
    a revision and its answer as ``replaced`` = ``edited``: the participant sees only the new
    exchange, the admin transcript shows both."""
    text = body.content.strip()
    if not text:
        raise InvalidInput("a message needs text")
    conversation, question, _ = await _last_exchange(runtime, conversation_id, user.id)
    if question.id != message_id:
        raise Conflict("Only the last message can be edited.", code="not_last_exchange")
    if question.channel != WEB_CHANNEL:
        raise Conflict("Messages sent on WhatsApp are edited on WhatsApp.", code="not_editable")
    inbound, files = await _question_inbound(runtime, question, user.id, text)

    async def edit() -> None:
        await runtime.store.messages.replace_answers(question.id, "edited")
        await runtime.store.messages.revise(question.id, text)

    return await _run_turn(request, user, runtime, conversation, inbound, files, edit)


@router.post("/conversations/{conversation_id}/stop", status_code=204,
             responses={409: {"description": "No answer is being written here"}})
async def stop_turn(conversation_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Stop the answer being written in this conversation. The turn's stream then ends with
    ``done`` as usual: its message holds what was written, with ``error_code`` ``stopped``."""
    await _own_conversation(runtime.store, conversation_id, user.id)
    if runtime.engine.stop(conversation_id):
        return Response(status_code=204)
    if await _awaiting_answer(runtime, conversation_id):
        # Another API process is writing it (tabs and load balancers need not agree on one).
        async with runtime.db.connection() as conn:
            await request_stop(conn, conversation_id)
        return Response(status_code=204)
    raise Conflict("No answer is being written in this conversation.", code="no_running_turn")


async def _awaiting_answer(runtime: Runtime, conversation_id: UUID) -> bool:
    """The newest message is the participant's, sent within the turn's deadline: its answer may
    still be being written somewhere."""
    newest = (await runtime.store.messages.page(conversation_id, limit=1)).items
    if not newest or not newest[0].is_from_user:
        return False
    age = datetime.now(UTC) - newest[0].created_at
    return age.total_seconds() < runtime.settings.turn_deadline_seconds


@router.post("/conversations/{conversation_id}/files", status_code=201,
             response_model=ConversationUpload, responses={413: {"description": "Larger than the limit"},
                        415: {"description": "Not an accepted file type"}})
async def upload_to_conversation(conversation_id: UUID, request: Request, user: CurrentUser,
                                 runtime: RuntimeDep) -> ConversationUpload:
    """Upload a file into the conversation (multipart field ``file``). The stored user message
    references it; Ignacio reads it once extraction finishes and answers the next message."""
    await _own_conversation(runtime.store, conversation_id, user.id)
    uploaded = await upload_file(request, user, runtime, conversation_id=conversation_id)
    stored = await runtime.store.files.get(uploaded.id, user_id=user.id)
    assert stored is not None
    message = await runtime.store.messages.add(NewMessage(
        conversation_id=conversation_id, user_id=user.id, is_from_user=True,
        content=f"📎 {stored.file_name}", channel=WEB_CHANNEL, message_type=stored.kind,
        file_id=stored.id, file_path=stored.file_path,
    ))
    assert message is not None
    return ConversationUpload(file=uploaded, message=message_model(message))


@router.post("/messages/{message_id}/feedback", response_model=Message)
async def message_feedback(message_id: UUID, body: FeedbackIn, user: CurrentUser,
                           store: StoreDep) -> Message:
    """👍 / 👎 on one of Ignacio's answers (0 clears it), with an optional reason."""
    if body.value:
        recorded = await store.feedback.record(message_id, user.id, body.value,
                                               tags=list(dict.fromkeys(body.tags)),
                                               comment=(body.comment or "").strip() or None)
        updated = await store.messages.get(message_id) if recorded else None
    else:
        updated = await store.messages.set_feedback(message_id, None, user_id=user.id)
    if updated is None:
        raise NotFound.of("message")
    return message_model(updated)
