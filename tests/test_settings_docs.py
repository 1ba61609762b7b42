"""`.env.example` documents every setting, under the name the settings class reads."""

from __future__ import annotations

import re
from pathlib import Path

from channels.installed import installed_settings_classes
from ignacio_agents.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _env_names() -> set[str]:
    """The core's variables and every installed channel's (under its own prefix)."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add((field.alias or name).upper())
    for cls in installed_settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        names.update((prefix + (field.alias or name)).upper()
                     for name, field in cls.model_fields.items())
    return names


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == _env_names()


def test_original_spec_variable_names_keep_their_defaults():
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert installed_settings_classes(), "the WhatsApp channel's settings are documented too"
    assert s.pydantic_ai_model == "gpt-4"
    assert s.pydantic_ai_max_tokens == 2000
    assert s.pydantic_ai_temperature == 0.7
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY", "WHATSAPP_ACCESS_TOKEN",
                 "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN", "JWT_SECRET_KEY",
                 "OPENAI_API_KEY", "PYDANTIC_AI_MODEL", "PYDANTIC_AI_MAX_TOKENS",
                 "PYDANTIC_AI_TEMPERATURE"):
        assert name in _env_names()
