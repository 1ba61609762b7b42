"""``/channels``: the channels this deployment runs and their traits, so the web app decides
what to show (read-only conversations, badges) from the traits instead of channel names."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import CurrentUser, RuntimeDep
from channels.whatsapp.channel import WhatsAppChannel

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


class CodeDelivery(BaseModel):
    """Where a sign-in code goes, so the sign-in page can tell a newcomer where to look."""

    delivery: Literal["whatsapp", "development"] = Field(
        description="`development`: no WhatsApp is configured, the code is printed on the "
        "server console and lands in the WhatsApp simulator; `whatsapp`: it is sent there.")


@router.get("/auth/code-delivery", response_model=CodeDelivery, tags=["auth"])
async def code_delivery(runtime: RuntimeDep) -> CodeDelivery:
    """Public: the sign-in page asks before anyone is signed in."""
    channel = runtime.channels.get(WhatsAppChannel)
    simulated = not runtime.settings.is_production and (channel is None or channel.simulator is not None)
    return CodeDelivery(delivery="development" if simulated else "whatsapp")
