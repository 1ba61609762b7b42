"""Mentors and admins in the loop: their participants' conversations, taking one over
(pause, write as themselves, resume), and assigning mentors.

A mentor sees only the participants assigned to them; anything else answers 404, as if it did
not exist. Every read of a transcript and every action writes an audit row (in the action's
own transaction). The attention queue lives in ``api/routers/attention.py``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import AdminUser, RuntimeDep, StaffUser, StoreDep, client_ip
from api.schemas import (
    AdminConversation,
    AdminConversationPage,
    Conversation,
    ErrorResponse,
    Input,
    Message,
    PlainText,
    TranscriptMessage,
    UserRef,
    message_model,
    transcript_message,
)
from ignacio_agents import mentoring, promotion
from ignacio_agents.domain import Specialist
from ignacio_agents.errors import InvalidInput, NotFound
from ignacio_agents.store.eval_cases import StoredEvalCase
from ignacio_agents.store.mentoring import Pause

router = APIRouter(prefix="/mentor", tags=["mentor"])

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


class PauseOut(BaseModel):
    paused_by: UserRef | None  # None once the person who paused was deleted
    paused_at: datetime
    # The pause ends by itself at this time unless a human acts on the conversation again.
    ends_at: datetime


class MentorTranscript(BaseModel):
    conversation: Conversation
    participant: UserRef
    pause: PauseOut | None
    messages: list[TranscriptMessage]


class HumanMessageIn(Input):
    content: PlainText = Field(min_length=1, max_length=4000)


class AssignmentIn(Input):
    mentor_id: UUID
    participant_id: UUID


class Assignment(BaseModel):
    mentor: UserRef
    participant: UserRef


def _pause_out(pause: Pause | None, timeout: float) -> PauseOut | None:
    if pause is None:
        return None
    return PauseOut(paused_by=UserRef(id=pause.paused_by, name=pause.paused_by_name)
                    if pause.paused_by else None,
                    paused_at=pause.paused_at,
                    ends_at=pause.last_activity_at + timedelta(seconds=timeout))


@router.get("/conversations", response_model=AdminConversationPage,
            operation_id="mentor_list_conversations")
async def list_conversations(staff: StaffUser, store: StoreDep, user_id: UUID | None = None,
                             cursor: Cursor = None, limit: Limit = 50) -> AdminConversationPage:
    """The conversations of the participants assigned to you (admins: everyone's), newest
    activity first. Titles and counts only, like the admin list (not audited)."""
    page = await store.mentoring.conversations(None if staff.is_admin else staff.id,
                                               user_id=user_id, limit=limit, cursor=cursor)
    return AdminConversationPage(
        items=[AdminConversation(id=c.id, title=c.title, channel=c.channel,
                                 created_at=c.created_at, updated_at=c.updated_at,
                                 user=UserRef(id=c.user_id, name=c.user_name),
                                 message_count=c.message_count) for c in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/conversations/{conversation_id}", response_model=MentorTranscript,
            operation_id="mentor_get_transcript")
async def get_transcript(conversation_id: UUID, staff: StaffUser, runtime: RuntimeDep,
                         request: Request) -> MentorTranscript:
    """One conversation of your participant, whole, with whether the AI is paused on it."""
    store = runtime.store
    conversation = await mentoring.conversation_for(store, staff, conversation_id)
    participant = await store.users.get(conversation.user_id)
    if participant is None:
        raise NotFound.of("conversation")
    timeout = runtime.settings.mentor_pause_timeout_seconds
    messages, pause = await asyncio.gather(
        store.messages.transcript(conversation.id),
        mentoring.current_pause(store, timeout, conversation.id))
    deliveries = await asyncio.gather(*(store.messages.deliveries(m.id) for m in messages
                                        if not m.is_from_user))
    by_id = dict(zip([m.id for m in messages if not m.is_from_user], deliveries, strict=True))
    await store.audit.record(actor_id=staff.id, action="transcript.view", target_type="conversation",
                             target_id=conversation.id, client_ip=client_ip(request),
                             details={"user_id": str(participant.id), "messages": len(messages),
                                      "as": "admin" if staff.is_admin else "mentor"})
    return MentorTranscript(
        conversation=Conversation.model_validate(conversation.model_dump()),
        participant=UserRef(id=participant.id, name=participant.name),
        pause=_pause_out(pause, timeout),
        messages=[transcript_message(m, by_id.get(m.id, []), runtime.channels) for m in messages],
    )


@router.post("/conversations/{conversation_id}/pause", response_model=PauseOut,
             operation_id="mentor_pause")
async def pause(conversation_id: UUID, staff: StaffUser, runtime: RuntimeDep,
                request: Request) -> PauseOut:
    """Pause the AI: the participant's messages are kept and shown here, and get no AI
    answer until you resume (or until the pause runs out with no activity)."""
    conversation = await mentoring.conversation_for(runtime.store, staff, conversation_id)
    result = await mentoring.pause(runtime, staff, conversation, client_ip=client_ip(request))
    out = _pause_out(result, runtime.settings.mentor_pause_timeout_seconds)
    assert out is not None
    return out


@router.post("/conversations/{conversation_id}/resume", status_code=204,
             operation_id="mentor_resume")
async def resume(conversation_id: UUID, staff: StaffUser, runtime: RuntimeDep,
                 request: Request) -> None:
    """Give the conversation back to the AI; its next answer sees what you wrote."""
    conversation = await mentoring.conversation_for(runtime.store, staff, conversation_id)
    await mentoring.resume(runtime, staff, conversation, client_ip=client_ip(request))


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=Message,
             operation_id="mentor_send_message")
async def send_message(conversation_id: UUID, body: HumanMessageIn, staff: StaffUser,
                       runtime: RuntimeDep, request: Request) -> Message:
    """Write to the participant as yourself ("Mentor · your name"), on the conversation's own
    channel. Writing pauses the AI if it was not paused."""
    conversation = await mentoring.conversation_for(runtime.store, staff, conversation_id)
    text = body.content.strip()
    if not text:
        raise InvalidInput("The message is empty.")
    message = await mentoring.reply(runtime, staff, conversation, text, client_ip=client_ip(request))
    return message_model(message)


# --- promotion into eval cases (admins) -------------------------------------------------------


class PromoteIn(Input):
    suites: list[Literal["routing", "answer_structure"]] = Field(min_length=1, max_length=2)
    expected_specialist: Specialist
    notes: PlainText | None = Field(default=None, max_length=1000)
    keep_details: bool = Field(default=False, description="Keep the participant's name, "
                               "numbers and addresses in the case (they are stripped otherwise).")


class EvalCaseOut(BaseModel):
    id: UUID
    name: str
    suite: str
    message_id: UUID | None
    case: dict[str, Any]
    created_at: datetime


def _case_out(c: StoredEvalCase) -> EvalCaseOut:
    return EvalCaseOut(id=c.id, name=c.name, suite=c.suite, message_id=c.message_id, case=c.body,
                       created_at=c.created_at)


@router.post("/messages/{message_id}/promote", status_code=201, response_model=list[EvalCaseOut],
             operation_id="mentor_promote", responses={409: {"model": ErrorResponse,
                                                            "description": "Already promoted"}})
async def promote(message_id: UUID, body: PromoteIn, admin: AdminUser, store: StoreDep,
                  request: Request) -> list[EvalCaseOut]:
    """Turn a rated or flagged turn into eval cases (routing and/or answer) with who should
    have answered it. ``ignacio export-eval-cases`` writes them to the dataset files."""
    stored = await promotion.promote(store, admin, message_id, suites=list(body.suites),
                                     expected=body.expected_specialist, notes=body.notes,
                                     keep_details=body.keep_details, client_ip=client_ip(request))
    return [_case_out(c) for c in stored]


@router.get("/eval-cases", response_model=list[EvalCaseOut], operation_id="mentor_eval_cases")
async def eval_cases(_admin: AdminUser, store: StoreDep) -> list[EvalCaseOut]:
    return [_case_out(c) for c in await store.eval_cases.all()]


# --- assignments (admins) --------------------------------------------------------------------


@router.get("/participants", response_model=list[UserRef], operation_id="mentor_participants")
async def my_participants(staff: StaffUser, store: StoreDep,
                          mentor_id: UUID | None = None) -> list[UserRef]:
    """The participants assigned to you (admins: to ``mentor_id``)."""
    target = mentor_id if staff.is_admin and mentor_id else staff.id
    return [UserRef(id=a.participant_id, name=a.participant_name)
            for a in await store.mentoring.participants(target)]


@router.get("/assignments", response_model=list[Assignment], operation_id="mentor_assignments")
async def assignments(participant_id: UUID, _admin: AdminUser, store: StoreDep) -> list[Assignment]:
    """The mentors assigned to a participant (directly; a cohort's mentors are the cohort's)."""
    participant = await store.users.get(participant_id)
    if participant is None:
        raise NotFound.of("participant")
    return [Assignment(mentor=UserRef(id=m.mentor_id, name=m.mentor_name),
                       participant=UserRef(id=participant.id, name=participant.name))
            for m in await store.mentoring.mentors_of(participant.id)]


@router.post("/assignments", status_code=201, response_model=Assignment,
             operation_id="mentor_assign",
             responses={404: {"model": ErrorResponse, "description": "No such mentor or participant"}})
async def assign(body: AssignmentIn, admin: AdminUser, store: StoreDep,
                 request: Request) -> Assignment:
    """Assign a participant to a mentor (the mentor gets the mentor role if they lacked it)."""
    if body.mentor_id == body.participant_id:
        raise InvalidInput("A mentor cannot be their own participant.")
    mentor, participant = await asyncio.gather(store.users.get(body.mentor_id),
                                               store.users.get(body.participant_id))
    if mentor is None:
        raise NotFound.of("mentor")
    if participant is None:
        raise NotFound.of("participant")
    async with store.db.transaction() as tx:
        if not mentor.is_mentor:
            await store.users.update(mentor.id, is_mentor=True, conn=tx)
        await store.mentoring.assign(mentor.id, participant.id, assigned_by=admin.id, conn=tx)
        await store.audit.record(actor_id=admin.id, action="mentor.assign", target_type="user",
                                 target_id=participant.id, client_ip=client_ip(request),
                                 details={"mentor_id": str(mentor.id)}, conn=tx)
    return Assignment(mentor=UserRef(id=mentor.id, name=mentor.name),
                      participant=UserRef(id=participant.id, name=participant.name))


@router.delete("/assignments/{mentor_id}/{participant_id}", status_code=204,
               operation_id="mentor_unassign")
async def unassign(mentor_id: UUID, participant_id: UUID, admin: AdminUser, store: StoreDep,
                   request: Request) -> None:
    async with store.db.transaction() as tx:
        if not await store.mentoring.unassign(mentor_id, participant_id, conn=tx):
            raise NotFound.of("assignment")
        await store.audit.record(actor_id=admin.id, action="mentor.unassign", target_type="user",
                                 target_id=participant_id, client_ip=client_ip(request),
                                 details={"mentor_id": str(mentor_id)}, conn=tx)
