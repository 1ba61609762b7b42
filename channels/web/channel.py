"""The web app as a channel: answers stream back in the request (``api/routers/conversations``
with ``api/sse.py``), so there is nothing to send afterwards and nothing to open."""

from __future__ import annotations

from procrastinate import Blueprint

from ignacio_agents.channel import WEB_TRAITS, ChannelTraits
from ignacio_agents.domain import WEB_CHANNEL
from ignacio_agents.runtime import Runtime
from ignacio_agents.settings import Settings


class WebChannel:
    name = WEB_CHANNEL
    traits: ChannelTraits = WEB_TRAITS

    @classmethod
    def from_settings(cls, core: Settings) -> WebChannel:
        return cls()

    def blueprints(self) -> list[Blueprint]:
        return []

    async def start(self, runtime: Runtime) -> None:
        return None

    async def aclose(self) -> None:
        return None
