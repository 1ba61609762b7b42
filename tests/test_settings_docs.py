"""`.env.example` documents every setting, under the name the settings class reads."""

from __future__ import annotations

import re
from pathlib import Path

from ignacio_agents.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add((field.alias or name).upper())
    return names


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == _env_names()


def test_original_spec_variable_names_keep_their_defaults():
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.pydantic_ai_model == "gpt-4"
    assert s.pydantic_ai_max_tokens == 2000
    assert s.pydantic_ai_temperature == 0.7
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY", "WHATSAPP_ACCESS_TOKEN",
                 "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN", "JWT_SECRET_KEY",
                 "OPENAI_API_KEY", "PYDANTIC_AI_MODEL", "PYDANTIC_AI_MAX_TOKENS",
                 "PYDANTIC_AI_TEMPERATURE"):
        assert name in _env_names()
