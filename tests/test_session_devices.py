"""Signed-in devices are named coarsely, the way their owner recognises them."""

from __future__ import annotations

import pytest

from api.devices import device_label


@pytest.mark.parametrize(("user_agent", "label"), [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
     " Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
     " Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
     " Version/18.1 Safari/605.1.15", "Safari on macOS"),
    ("python-httpx/0.28.1", None),
    ("\x00\x1b[31m Chrome/1 \u202e", "Chrome"),
    (None, None),
])
def test_sessions_name_devices_coarsely(user_agent: str | None, label: str | None):
    assert device_label(user_agent) == label
