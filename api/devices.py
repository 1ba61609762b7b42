"""A signed-in device named the way its owner would recognise it ("Chrome on Android").

Only this coarse label is stored with a session, never the raw User-Agent: it is enough to
tell one's phone from a shared computer in the sessions list, and identifies nobody.
"""

from __future__ import annotations

import re

# Order matters: Edge and Opera announce Chrome too, Chrome announces Safari, iPadOS a Mac.
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def device_label(user_agent: str | None) -> str | None:
    """``"<browser> on <system>"``, either part alone when the other is unknown, or None."""
    ua = _PRINTABLE.sub("", (user_agent or "")[:512])
    browser = next((name for token, name in _BROWSERS if token in ua), None)
    system = next((name for token, name in _SYSTEMS if token in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system
