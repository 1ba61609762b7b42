"""The channels this build ships. A channel lives in its own folder and is registered here with
one line: ``"<module>:<class>"``, a class with ``from_settings(core) -> Channel | None`` (None:
this deployment does not use it) and, when it has settings of its own, ``settings_class``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ignacio_agents.channel import Channel
from ignacio_agents.settings import ChannelSettings, Settings

INSTALLED = (
    "channels.web.channel:WebChannel",
    "channels.whatsapp.channel:WhatsAppChannel",
    "channels.console:ConsoleChannel",
)


def _classes() -> list[Any]:
    out = []
    for spec in INSTALLED:
        module, _, name = spec.partition(":")
        out.append(getattr(import_module(module), name))
    return out


def installed_channels(core: Settings) -> list[Channel]:
    """Every installed channel this deployment uses, configured from the environment."""
    channels = (cls.from_settings(core) for cls in _classes())
    return [channel for channel in channels if channel is not None]


def installed_settings_classes() -> list[type[ChannelSettings]]:
    """Each installed channel's own settings class (what ``.env.example`` documents)."""
    return [cls.settings_class for cls in _classes() if getattr(cls, "settings_class", None)]
