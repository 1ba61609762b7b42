"""Webhook authenticity: Meta signs every POST body with the app secret (``X-Hub-Signature-256``).

The HMAC covers the *raw* request bytes. Re-serialising parsed JSON breaks it (Meta escapes
unicode), so callers must verify ``await request.body()`` before parsing anything.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def compute_signature(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for ``body``: ``sha256=<lower-case hex>``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """True only if ``header`` is a valid signature of ``body``; compared in constant time.

    An empty app secret never verifies: with no secret anyone could forge the HMAC.
    """
    if not app_secret or not header:
        return False
    header = header.strip()
    if not header.lower().startswith(_PREFIX):
        return False
    received = header[len(_PREFIX):].lower().encode("ascii", errors="replace")
    expected = compute_signature(app_secret, body)[len(_PREFIX):].encode("ascii")
    return hmac.compare_digest(expected, received)
