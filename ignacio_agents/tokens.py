"""Token counting with tiktoken's ``o200k_base``, working offline.

tiktoken downloads its encoding file on first use, which fails on a laptop without network and
in locked-down deployments. The file ships with this package (gzipped, in ``assets/``); at first
use it is unpacked into the cache directory tiktoken reads, under the name tiktoken expects, and
checked against the same sha256 tiktoken checks. ``TIKTOKEN_CACHE_DIR`` is set explicitly (not
``setdefault``) so an inherited value cannot send tiktoken to the network.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path

import tiktoken

log = logging.getLogger(__name__)

ENCODING_NAME = "o200k_base"
# tiktoken's expected sha256 of the decompressed file (tiktoken_ext/openai_public.py); a test
# checks this constant against the installed tiktoken so an upgrade that changes it fails loudly.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
# The cache file name tiktoken looks for: sha1 of the encoding's download URL.
O200K_CACHE_NAME = "fb374d419588a4632f3f557e76b4b70aebbca790"
ASSET_NAME = "o200k_base.tiktoken.gz"


class EncodingFileError(RuntimeError):
    """The shipped encoding file is missing or does not match tiktoken's expected hash."""


_lock = threading.Lock()
_encoding: tiktoken.Encoding | None = None
_base_dir: Path | None = None
_warming = False


def configure(data_dir: Path | None) -> None:
    """Unpack the encoding under ``<data_dir>/tiktoken`` (the default is a temp dir). Only
    effective before the first count in this process."""
    global _base_dir
    if data_dir is not None and _encoding is None:
        _base_dir = Path(data_dir)


def cache_dir(base: Path | None = None) -> Path:
    root = base or _base_dir or Path(tempfile.gettempdir()) / "ignacio"
    return root / "tiktoken"


def ensure_encoding_file(base: Path | None = None) -> Path:
    """Unpack and verify the shipped ``o200k_base`` file; return the cache directory."""
    directory = cache_dir(base)
    target = directory / O200K_CACHE_NAME
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == O200K_SHA256:
        return directory
    asset = resources.files("ignacio_agents.assets").joinpath(ASSET_NAME)
    try:
        data = gzip.decompress(asset.read_bytes())
    except (OSError, FileNotFoundError) as exc:
        raise EncodingFileError(f"cannot read the shipped {ASSET_NAME}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        raise EncodingFileError(f"{ASSET_NAME} does not match tiktoken's expected sha256")
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)  # atomic: a concurrent process never reads half a file
    return directory


def encoding() -> tiktoken.Encoding:
    """The ``o200k_base`` encoding, loaded from the shipped file (never downloaded)."""
    global _encoding
    if _encoding is None:
        with _lock:
            if _encoding is None:
                os.environ["TIKTOKEN_CACHE_DIR"] = str(ensure_encoding_file())
                _encoding = tiktoken.get_encoding(ENCODING_NAME)
    return _encoding


def warm_up_in_background() -> None:
    """Load the encoding in a daemon thread (once per process), so no turn waits for it."""
    global _warming
    with _lock:
        if _warming or _encoding is not None:
            return
        _warming = True

    def load() -> None:
        try:
            encoding()
        except Exception:
            log.exception("the shipped tiktoken encoding could not be loaded")

    threading.Thread(target=load, name="tiktoken-warm-up", daemon=True).start()


def count_tokens(text: str) -> int:
    if not text:
        return 0
    return len(encoding().encode(text, disallowed_special=()))
