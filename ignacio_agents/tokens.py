"""Token counting with tiktoken's ``o200k_base`` and ``cl100k_base``, working offline.

tiktoken downloads its encoding files on first use, which fails on a laptop without network and
in locked-down deployments. Both files ship with this package (gzipped, in ``assets/``); at
first use one is unpacked into the cache directory tiktoken reads, under the name tiktoken
expects, and checked against the same sha256 tiktoken checks. ``TIKTOKEN_CACHE_DIR`` is set
explicitly (not ``setdefault``) so an inherited value cannot send tiktoken to the network.

``o200k_base`` is the default (current OpenAI models, and a fair estimate for others);
``cl100k_base`` is what ``gpt-4`` and ``gpt-3.5`` count with, so a budget for those models is
computed with their own tokenizer.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import tiktoken

from ignacio_agents.errors import IgnacioError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodingFile:
    name: str
    # tiktoken's expected sha256 of the decompressed file (tiktoken_ext/openai_public.py); a
    # test checks it against the installed tiktoken so an upgrade that changes it fails loudly.
    sha256: str
    # The cache file name tiktoken looks for: sha1 of the encoding's download URL.
    cache_name: str

    @property
    def asset_name(self) -> str:
        return f"{self.name}.tiktoken.gz"


O200K = EncodingFile("o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
                     "fb374d419588a4632f3f557e76b4b70aebbca790")
CL100K = EncodingFile("cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
                      "9b5ad71b2ce5302211f9c61530b329a4922fc6a4")
ENCODINGS = {e.name: e for e in (O200K, CL100K)}
ENCODING_NAME = O200K.name
# Kept for callers that only know the default encoding.
O200K_SHA256, O200K_CACHE_NAME, ASSET_NAME = O200K.sha256, O200K.cache_name, O200K.asset_name
# Model name prefixes that count with cl100k_base (tiktoken's own table, for the models we meet).
_CL100K_PREFIXES = ("gpt-4-", "gpt-3.5", "gpt-35", "text-embedding-ada", "text-embedding-3")


class EncodingFileError(IgnacioError):
    """A shipped encoding file is missing or does not match tiktoken's expected hash."""

    code = "encoding_file_error"


_lock = threading.Lock()
_encodings: dict[str, tiktoken.Encoding] = {}
_base_dir: Path | None = None
_warming: set[str] = set()


def configure(data_dir: Path | None) -> None:
    """Unpack the encodings under ``<data_dir>/tiktoken`` (the default is a temp dir). Only
    effective before the first count in this process."""
    global _base_dir
    if data_dir is not None and not _encodings:
        _base_dir = Path(data_dir)


def cache_dir(base: Path | None = None) -> Path:
    root = base or _base_dir or Path(tempfile.gettempdir()) / "ignacio"
    return root / "tiktoken"


def encoding_name_for(model_name: str | None) -> str:
    """The encoding a model counts with: ``cl100k_base`` for gpt-4 / gpt-3.5, else ``o200k_base``."""
    name = (model_name or "").lower().rpartition("/")[2]
    if name == "gpt-4" or name.startswith(_CL100K_PREFIXES):
        return CL100K.name
    return O200K.name


def ensure_encoding_file(base: Path | None = None, name: str = ENCODING_NAME) -> Path:
    """Unpack and verify the shipped file of encoding ``name``; return the cache directory."""
    spec = ENCODINGS[name]
    directory = cache_dir(base)
    target = directory / spec.cache_name
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == spec.sha256:
        return directory
    asset = resources.files("ignacio_agents.assets").joinpath(spec.asset_name)
    try:
        data = gzip.decompress(asset.read_bytes())
    except (OSError, FileNotFoundError) as exc:
        raise EncodingFileError(f"cannot read the shipped {spec.asset_name}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise EncodingFileError(f"{spec.asset_name} does not match tiktoken's expected sha256")
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)  # atomic: a concurrent process never reads half a file
    return directory


def encoding(name: str = ENCODING_NAME) -> tiktoken.Encoding:
    """The named encoding, loaded from the shipped file (never downloaded)."""
    found = _encodings.get(name)
    if found is None:
        with _lock:
            found = _encodings.get(name)
            if found is None:
                os.environ["TIKTOKEN_CACHE_DIR"] = str(ensure_encoding_file(name=name))
                found = _encodings[name] = tiktoken.get_encoding(name)
    return found


def is_loaded(name: str = ENCODING_NAME) -> bool:
    """The encoding is in memory: counting with it cannot wait for a load."""
    return name in _encodings


def warm_up_in_background(name: str = ENCODING_NAME) -> None:
    """Load an encoding in a daemon thread (once per process), so no turn waits for it."""
    with _lock:
        if name in _warming or name in _encodings:
            return
        _warming.add(name)

    def load() -> None:
        try:
            encoding(name)
        except Exception:
            log.exception("the shipped tiktoken encoding could not be loaded")

    threading.Thread(target=load, name="tiktoken-warm-up", daemon=True).start()


# Texts up to this long are counted once per process: every model request of a turn counts the
# same instructions, tool definitions and history again (and the next turn the same history),
# and encoding them was a measurable share of a turn's CPU. Longer texts (a file's pages) are
# rarely counted twice and would hold memory.
CACHED_TEXT_CHARS = 16_000
COUNT_CACHE_ENTRIES = 8192


@functools.lru_cache(maxsize=COUNT_CACHE_ENTRIES)
def _count_cached(text: str, encoding_name: str) -> int:
    return len(encoding(encoding_name).encode(text, disallowed_special=()))


def count_tokens(text: str, encoding_name: str = ENCODING_NAME) -> int:
    if not text:
        return 0
    if len(text) <= CACHED_TEXT_CHARS:
        return _count_cached(text, encoding_name)
    return len(encoding(encoding_name).encode(text, disallowed_special=()))
