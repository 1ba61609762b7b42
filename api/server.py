"""The uvicorn server ``ignacio serve`` runs."""

from __future__ import annotations

import socket

import uvicorn


class Server(uvicorn.Server):
    """Ends the open live-event streams first when stopping: uvicorn waits for every open
    response (up to its graceful timeout) before the app's shutdown runs, and those streams
    never end by themselves."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        events = getattr(getattr(self.config.app, "state", None), "events", None)
        if events is not None:
            events.close_streams()
        await super().shutdown(sockets)
