"""What a resolved model is and can take: offline or not, its label in usage records, and
whether it accepts image input."""

from __future__ import annotations

from pydantic_ai.models import Model

from ignacio_agents.offline import OfflineModel


def is_offline(model: Model) -> bool:
    return isinstance(model, OfflineModel)


def model_label(model: Model) -> str:
    """A short, stable name for usage records: ``offline`` or ``<system>:<model name>``."""
    if is_offline(model):
        return "offline"
    return f"{model.system}:{model.model_name}"


def supports_image_input(model: Model) -> bool:
    try:
        return bool(model.profile.get("supports_image_input", False))
    except Exception:  # an exotic model without a profile: send text references only
        return False
