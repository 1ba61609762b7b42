"""Tools every specialist shares: the user's past messages, files and project profile.

Each tool takes the user from ``ctx.deps`` and passes it to the store, whose queries filter on
it; the model can name a file id but never a user, so it cannot reach another user's data.
Results are small typed records with dates and locations, so answers can cite them.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel
from pydantic_ai import ModelRetry, RunContext
from pydantic_ai.toolsets import FunctionToolset

from ignacio_agents.agents.deps import AdvisorDeps
from ignacio_agents.domain import ProjectKind
from ignacio_agents.recall import Recall
from ignacio_agents.store.profiles import ProjectProfile

advisor_tools: FunctionToolset[AdvisorDeps] = FunctionToolset()


class HistoryResult(BaseModel):
    date: str
    conversation_title: str | None
    channel: str
    author: str  # 'user' or 'ignacio'
    snippet: str


class FileSummary(BaseModel):
    file_id: str
    file_name: str
    file_type: str
    size_bytes: int
    uploaded: str
    text_status: str  # pending / running / done / failed / unreadable / not_applicable
    parts: int | None
    part_label: str | None


class FilePassage(BaseModel):
    file_id: str
    file_name: str
    part: str
    location: str
    text: str


class FileRead(BaseModel):
    file_id: str
    file_name: str
    passages: list[FilePassage]
    note: str | None = None


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _recall(ctx: RunContext[AdvisorDeps]) -> Recall:
    return Recall(ctx.deps.store, ctx.deps.embeddings)


@advisor_tools.tool
async def search_history(ctx: RunContext[AdvisorDeps], query: str) -> list[HistoryResult]:
    """Search the user's earlier messages with Ignacio, in all conversations and channels.
    Finds messages with any of the words (best matches first), in Spanish or English.

    Args:
        query: A few words to look for, e.g. "precio suscripción" or "pitch deck".
    """
    if not query.strip():
        raise ModelRetry("Give a few keywords to search for.")
    hits = await _recall(ctx).history(ctx.deps.user.id, query, limit=8,
                                      exclude_id=ctx.deps.message_id)  # not the question itself
    return [
        HistoryResult(date=_when(h.created_at), conversation_title=h.conversation_title,
                      channel=h.channel, author="user" if h.is_from_user else "ignacio",
                      snippet=h.snippet)
        for h in hits
    ]


@advisor_tools.tool
async def list_files(ctx: RunContext[AdvisorDeps]) -> list[FileSummary]:
    """List the files the user has uploaded (newest first), with whether their text is readable."""
    page = await ctx.deps.store.files.list_for_user(ctx.deps.user.id, limit=50)
    return [
        FileSummary(file_id=str(f.id), file_name=f.file_name, file_type=f.file_type,
                    size_bytes=f.file_size, uploaded=_when(f.created_at),
                    text_status=f.extraction_status, parts=f.part_count, part_label=f.part_label)
        for f in page.items
    ]


@advisor_tools.tool
async def search_files(ctx: RunContext[AdvisorDeps], query: str) -> list[FilePassage]:
    """Search the text of the user's files; each passage says where it is (page, slide, cell).
    Finds passages with any of the words (best matches first), in Spanish or English; a short
    file comes whole.

    Args:
        query: A few words to look for, e.g. "margen bruto" or "target customer".
    """
    if not query.strip():
        raise ModelRetry("Give a few keywords to search for.")
    passages = await _recall(ctx).files(ctx.deps.user.id, query, limit=6)
    return [FilePassage(file_id=str(p.file_id), file_name=p.file_name, part=p.part,
                        location=p.location, text=p.text) for p in passages]


@advisor_tools.tool
async def read_file(ctx: RunContext[AdvisorDeps], file_id: str, part: str | None = None) -> FileRead | str:
    """Read the text of one of the user's files, whole or one part of it.

    Args:
        file_id: The file id from list_files or search_files.
        part: Optional part address from search_files, e.g. "page:3", "slide:4" or "sheet:Budget".
    """
    try:
        fid = UUID(file_id.strip())
    except ValueError:
        raise ModelRetry("file_id must be an id returned by list_files or search_files.") from None
    user_id = ctx.deps.user.id
    meta = await ctx.deps.store.files.get(fid, user_id=user_id)
    if meta is None:
        return "There is no file with that id among this user's files."
    chunks = await ctx.deps.store.files.read_part(user_id, fid, part or None)
    note = None
    if not chunks:
        if part:
            parts = await ctx.deps.store.files.parts(fid)
            note = f"No part {part!r}. Available parts: {', '.join(parts[:40]) or 'none'}."
        else:
            note = f"No text available for this file (text status: {meta.extraction_status})."
    return FileRead(
        file_id=str(fid), file_name=meta.file_name, note=note,
        passages=[FilePassage(file_id=str(c.file_id), file_name=c.file_name, part=c.part,
                              location=c.location, text=c.content) for c in chunks],
    )


@advisor_tools.tool
async def get_project_profile(ctx: RunContext[AdvisorDeps]) -> ProjectProfile:
    """The user's project profile: name, kind, stage, description and goals."""
    ctx.deps.profile = await ctx.deps.store.profiles.get(ctx.deps.user.id)
    return ctx.deps.profile


@advisor_tools.tool
async def update_project_profile(
    ctx: RunContext[AdvisorDeps], project_name: str | None = None, kind: ProjectKind | None = None,
    stage: str | None = None, description: str | None = None, goals: str | None = None,
) -> ProjectProfile:
    """Save what the user has told you about their project. Only pass the fields that changed;
    the change is recorded with the message that caused it.

    Args:
        project_name: The project's name.
        kind: startup, ngo (NGO or foundation), spin_off (company spin-off) or intrapreneurship
            (a project inside a company).
        stage: Where the project is, e.g. "idea", "prototype", "first customers".
        description: What the project does and for whom, in a few sentences.
        goals: What the user wants to achieve, e.g. this program's goals.
    """
    changes = {k: v for k, v in {"project_name": project_name, "kind": kind, "stage": stage,
                                 "description": description, "goals": goals}.items()
               if v is not None}
    if not changes:
        raise ModelRetry("Pass at least one field to change.")
    try:
        ctx.deps.profile = await ctx.deps.store.profiles.update(
            ctx.deps.user.id, changes, source="advisor", message_id=ctx.deps.message_id
        )
    except ValueError as exc:  # pydantic validation, e.g. a description over its length limit
        raise ModelRetry(f"Invalid profile change: {exc}") from None
    return ctx.deps.profile
