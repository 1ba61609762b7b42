"""What a model run cost in US dollars: genai-prices' price for known models, or the
configured per-million-token price (``USAGE_PRICE_INPUT_PER_MTOK`` / ``..._OUTPUT_...``) for
local, offline or unknown ones. Prices are a snapshot shipped with genai-prices (no network)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from genai_prices import Usage, calc_price

# Systems that are not a provider genai-prices could know (scripted test models, offline).
_NOT_PROVIDERS = {"function", "test", "offline", ""}
_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Price:
    usd: Decimal
    source: str  # "genai-prices" | "configured"


def split_label(label: str) -> tuple[str, str]:
    """``"openai:gpt-4o"`` -> ("openai", "gpt-4o"); a bare name has no system."""
    system, sep, name = label.partition(":")
    return (system, name) if sep else ("", label)


@lru_cache(maxsize=256)
def _known(system: str, name: str) -> tuple[str | None, bool]:
    """The provider id to price ``name`` with (None: let genai-prices choose), or not known."""
    probe = Usage(input_tokens=1, output_tokens=1)
    for provider in ([system] if system not in _NOT_PROVIDERS else []) + [None]:
        try:
            calc_price(probe, name, provider_id=provider)
            return provider, True
        except LookupError:
            continue
    return None, False


def price(label: str, *, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0,
          input_per_mtok: float = 0.0, output_per_mtok: float = 0.0) -> Price:
    """The cost of ``input_tokens`` / ``output_tokens`` on the model named by ``label``."""
    system, name = split_label(label)
    provider, known = _known(system, name) if name else (None, False)
    if known:
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens,
                      cache_read_tokens=cache_read_tokens or None)
        return Price(calc_price(usage, name, provider_id=provider).total_price, "genai-prices")
    usd = (Decimal(input_tokens) * Decimal(str(input_per_mtok))
           + Decimal(output_tokens) * Decimal(str(output_per_mtok))) / _MILLION
    return Price(usd, "configured")
