"""``/channels``: the channels this deployment runs and their traits, so the web app decides
what to show (read-only conversations, badges) from the traits instead of channel names."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, RuntimeDep

router = APIRouter(tags=["channels"])


class ChannelInfo(BaseModel):
    name: str
    label: str
    defers_delivery: bool
    short_answers: bool
    read_only_on_web: bool


@router.get("/channels", response_model=list[ChannelInfo])
async def list_channels(_user: CurrentUser, runtime: RuntimeDep) -> list[ChannelInfo]:
    return [
        ChannelInfo(name=c.name, label=c.traits.label, defers_delivery=c.traits.defers_delivery,
                    short_answers=c.traits.short_answers,
                    read_only_on_web=c.traits.read_only_on_web)
        for c in runtime.channels
    ]
