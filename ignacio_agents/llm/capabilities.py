"""What a resolved model is and can take: offline or not, its label in usage records, its
context window, and whether it accepts image input."""

from __future__ import annotations

import re
from typing import Literal

from pydantic_ai.models import Model

from ignacio_agents.offline import OfflineModel

ImageInput = Literal["auto", "on", "off"]

# Model families known to take images. PydanticAI's profiles allow image parts for every OpenAI
# chat model, gpt-4 and local text-only models included, and those answer an image with an
# error; so ``auto`` trusts this short list instead. Matched against the bare model name.
_SEES_IMAGES = re.compile(
    r"^(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-5|o1|o3|o4|chatgpt-4o|claude|gemini|gemma-?3"
    r"|llava|bakllava|pixtral|grok-(2-vision|4)|llama-?3\.2-vision|llama-?4|qwen2\.5-?vl|qwen-?vl"
    r"|minicpm-v|moondream|mistral-small-?3\.[12])"
)


def is_offline(model: Model) -> bool:
    return isinstance(model, OfflineModel)


def model_label(model: Model) -> str:
    """A short, stable name for usage records: ``offline`` or ``<system>:<model name>``."""
    if is_offline(model):
        return "offline"
    return f"{model.system}:{model.model_name}"


def known_to_see_images(model_name: str) -> bool:
    bare = model_name.lower().rpartition("/")[2]
    return bool(_SEES_IMAGES.match(bare))


def supports_image_input(model: Model, mode: ImageInput = "auto") -> bool:
    """Whether to send an attached image as image input (otherwise: its reference only)."""
    if mode == "off" or is_offline(model):
        return False
    try:
        allowed = bool(model.profile.get("supports_image_input", False))
    except Exception:  # an exotic model without a profile: send text references only
        allowed = False
    if mode == "on":
        return True
    return allowed and known_to_see_images(model.model_name)


def context_window(model: Model, configured: int | None = None) -> int | None:
    """The model's context window in tokens: the configured one, else its profile's (PydanticAI
    fills it from genai-prices), else unknown."""
    if configured:
        return configured
    try:
        return model.context_window
    except Exception:
        return None
