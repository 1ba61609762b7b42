"""Language models: which one answers (``resolution``), what each request asks of it
(``request_settings``) and what it can take (``capabilities``).

Named ``llm`` so it never clashes with the data models of the store and the API.
"""

from ignacio_agents.llm.capabilities import (
    context_window,
    is_offline,
    known_to_see_images,
    model_label,
    supports_image_input,
)
from ignacio_agents.llm.request_settings import model_settings
from ignacio_agents.llm.resolution import (
    LOCAL_SERVER_KEY,
    OFFLINE_NAMES,
    close_model,
    model_string,
    resolve_model,
    resolve_triage_model,
)

__all__ = [
    "LOCAL_SERVER_KEY", "OFFLINE_NAMES", "close_model", "context_window", "is_offline", "known_to_see_images",
    "model_label", "model_settings", "model_string", "resolve_model", "resolve_triage_model",
    "supports_image_input",
]
