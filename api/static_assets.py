"""The web app's built files, served small and cached for good.

Vite names every file under ``assets/`` by a hash of its content, so a browser may keep it
forever (``immutable``): a new build has new names. The build also writes a Brotli (``.br``) and
a gzip (``.gz``) copy next to each text file (``frontend/scripts/precompress.mjs``); the copy the
browser accepts is sent as is, so no request pays for compressing the same bytes again. A file
without copies (a build made without that step) is compressed per request by the app's gzip layer.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
# Preferred first: Brotli is about a fifth smaller than gzip for JavaScript.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(header: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header allows (a ``q=0`` refuses one)."""
    accepted = set()
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if not name.strip():
            continue
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                accepted.add(name.strip().lower())
        except ValueError:
            continue
    return accepted


class HashedAssets(StaticFiles):
    """``StaticFiles`` for content-hashed names: immutable caching, precompressed copies."""

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        request = Headers(scope=scope)
        accepted = accepted_encodings(request.get("accept-encoding", ""))
        response: Response | None = None
        for coding, suffix in ENCODINGS:
            if coding not in accepted:
                continue
            compressed = f"{full_path}{suffix}"
            try:
                compressed_stat = os.stat(compressed)
            except OSError:
                continue
            response = FileResponse(compressed, status_code=status_code, stat_result=compressed_stat,
                                    media_type=mimetypes.guess_type(str(full_path))[0])
            response.headers["content-encoding"] = coding
            break
        if response is None:
            response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = IMMUTABLE
        response.headers["vary"] = "Accept-Encoding"
        return response
