"""Ignacio's configuration: the only place the environment is read.

Names from the original spec (``SUPABASE_URL``, ``WHATSAPP_ACCESS_TOKEN``, ``JWT_SECRET_KEY``,
``OPENAI_API_KEY``, ``PYDANTIC_AI_MODEL`` ...) keep their meaning. Everything else a real
deployment needs is added with an ``IGNACIO_``-free, self-explanatory name.

``load_settings()`` is the entry point: it reads env/.env, then in development fills missing
local secrets from ``<data_dir>/secrets.json`` (generated once) so restarts keep sessions and
encrypted phone numbers readable; in production a missing secret stops start-up, naming it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ignacio_agents.errors import IgnacioError


class ConfigError(IgnacioError):
    """Raised when the configuration cannot run (e.g. a production secret is missing)."""

    code = "config_error"


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


# Secrets a development install may generate for itself; production must provide them.
_GENERATED_SECRETS: dict[str, object] = {
    "jwt_secret_key": lambda: secrets.token_urlsafe(48),
    "phone_encryption_key": _new_key,
    "phone_index_key": _new_key,
    "whatsapp_app_secret": lambda: secrets.token_hex(16),
    "whatsapp_verify_token": lambda: secrets.token_urlsafe(16),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False,
        populate_by_name=True,
    )

    # --- runtime -----------------------------------------------------------------------
    ignacio_env: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("./.ignacio"), alias="IGNACIO_DATA_DIR")
    host: str = Field(default="127.0.0.1", alias="IGNACIO_HOST")
    port: int = Field(default=8000, alias="IGNACIO_PORT")
    log_level: str = Field(default="INFO", alias="IGNACIO_LOG_LEVEL")
    run_worker_in_process: bool = Field(default=True, alias="IGNACIO_IN_PROCESS_WORKER")
    web_dist_dir: Path | None = Field(default=None, alias="IGNACIO_WEB_DIST")
    # Host names the server answers for, comma-separated ("*.example.org" for subdomains, "*"
    # for any). Empty: any host in development; production requires a list.
    allowed_hosts: str = Field(default="", alias="IGNACIO_ALLOWED_HOSTS")
    # Request body ceilings, enforced before parsing (uploads use MAX_UPLOAD_BYTES).
    max_auth_body_bytes: int = 16 * 1024
    max_json_body_bytes: int = 1024 * 1024
    max_webhook_body_bytes: int = 4 * 1024 * 1024

    # --- database ----------------------------------------------------------------------
    database_url: str | None = None
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10
    embedded_postgres_version: int = 18
    job_poll_interval_seconds: float = 0.5
    worker_concurrency: int = 8
    # How long a stop (SIGTERM or Ctrl-C) waits for in-flight turns and jobs before cutting them.
    shutdown_grace_seconds: float = Field(default=20.0, alias="IGNACIO_SHUTDOWN_GRACE_SECONDS")

    # --- storage -----------------------------------------------------------------------
    storage_backend: Literal["local", "supabase"] = "local"
    storage_bucket: str = "ignacio-files"
    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    supabase_service_key: SecretStr | None = None
    max_upload_bytes: int = 25 * 1024 * 1024

    # --- auth & crypto -----------------------------------------------------------------
    jwt_secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    otp_ttl_seconds: int = 5 * 60
    otp_max_attempts: int = 5
    otp_rate_limit_per_phone: int = 3
    otp_rate_limit_per_phone_total: int = 10
    otp_rate_limit_per_ip: int = 20
    otp_verify_failures_per_ip: int = 10
    otp_verify_failures_global: int = 1000
    otp_rate_limit_window_seconds: int = 15 * 60
    default_phone_region: str = "ES"
    phone_encryption_key: SecretStr | None = None
    # Older encryption keys, "id:base64" comma-separated, still accepted for decryption.
    phone_encryption_old_keys: SecretStr | None = None
    phone_index_key: SecretStr | None = None

    # --- WhatsApp Cloud API ------------------------------------------------------------
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_graph_base_url: str = "https://graph.facebook.com"
    whatsapp_graph_api_version: str = "v24.0"
    whatsapp_otp_template_name: str = "ignacio_login_code"
    whatsapp_otp_template_language: str = "es"
    whatsapp_max_inbound_age_seconds: int = 30 * 60
    whatsapp_send_max_attempts: int = 4
    whatsapp_max_media_bytes: int = 25 * 1024 * 1024

    # --- models ------------------------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = None
    pydantic_ai_model: str = "gpt-4"
    pydantic_ai_triage_model: str | None = None
    # Writes the running conversation summaries (default: the triage model, else the main one).
    pydantic_ai_summary_model: str | None = None
    pydantic_ai_max_tokens: int = 2000
    pydantic_ai_temperature: float = 0.7
    model_timeout_seconds: float = 60.0
    model_attempts: int = 2
    # A turn's total time across the router and every attempt; then the polite fallback.
    turn_deadline_seconds: float = 45.0
    # After this many provider failures in a row, turns get the fallback at once for a while.
    model_circuit_failures: int = 3
    model_circuit_cooldown_seconds: float = 30.0
    history_token_budget: int = 6000
    # What a turn is told about the participant from earlier turns and other conversations.
    memory_token_budget: int = 1200
    # The model's context window when neither PydanticAI's profile nor genai-prices knows it
    # (local servers); the history budget is fitted to it.
    pydantic_ai_context_window: int | None = None
    # Images as model input: auto = for models known to take them; on / off = always / never.
    pydantic_ai_image_input: Literal["auto", "on", "off"] = "auto"
    # Which kind of server OPENAI_BASE_URL is (its PydanticAI provider and profile); unset =
    # guessed from the URL.
    openai_compatible: Literal["openai", "ollama", "vllm"] | None = None
    # Per-turn caps on one specialist run (a tool loop can never run away).
    turn_request_limit: int = 8
    turn_tool_calls_limit: int = 12
    transcription_model: str = "gpt-4o-mini-transcribe"

    # --- recall (embeddings) -----------------------------------------------------------
    # An OpenAI-compatible embeddings model (e.g. text-embedding-3-small, or an Ollama model
    # such as nomic-embed-text) makes history and file search hybrid; unset: full text alone.
    embeddings_model: str | None = None
    embeddings_base_url: str | None = None  # default: OPENAI_BASE_URL, else OpenAI
    embeddings_api_key: SecretStr | None = None  # default: OPENAI_API_KEY
    embeddings_dimensions: int | None = Field(default=None, gt=0)
    embeddings_min_similarity: float = Field(default=0.2, ge=-1.0, le=1.0)

    # --- observability -----------------------------------------------------------------
    logfire_token: SecretStr | None = None

    @field_validator(
        "database_url", "supabase_url", "openai_base_url", "whatsapp_phone_number_id",
        "pydantic_ai_triage_model", "pydantic_ai_summary_model", "pydantic_ai_context_window",
        "openai_compatible", "embeddings_model", "embeddings_base_url", "embeddings_dimensions",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    # --- derived -----------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.ignacio_env == "production"

    @property
    def allowed_host_list(self) -> list[str]:
        hosts = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        return hosts or ["*"]

    @property
    def whatsapp_configured(self) -> bool:
        return bool(self.whatsapp_access_token and self.whatsapp_phone_number_id)

    @property
    def graph_api_url(self) -> str:
        return f"{self.whatsapp_graph_base_url.rstrip('/')}/{self.whatsapp_graph_api_version}"

    @property
    def transcription_configured(self) -> bool:
        return self.openai_api_key is not None

    def secret(self, name: str) -> str:
        """The plain value of a secret setting (raises if unset: callers need it)."""
        value = getattr(self, name)
        if value is None:
            raise ConfigError(f"{name.upper()} is not set")
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _production_missing(s: Settings) -> list[str]:
    required = [
        "jwt_secret_key", "phone_encryption_key", "phone_index_key", "database_url",
        "whatsapp_access_token", "whatsapp_phone_number_id", "whatsapp_verify_token",
        "whatsapp_app_secret", "allowed_hosts",
    ]
    if s.storage_backend == "supabase":
        required += ["supabase_url", "supabase_service_key"]
    return [(Settings.model_fields[name].alias or name).upper()
            for name in required if getattr(s, name) in (None, "")]


def _fill_dev_secrets(s: Settings) -> Settings:
    """Generate missing local secrets once and keep them in the data directory."""
    missing = [k for k in _GENERATED_SECRETS if getattr(s, k) is None]
    if not missing:
        return s
    path = s.data_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    changed = False
    for key in missing:
        if key not in stored:
            stored[key] = _GENERATED_SECRETS[key]()  # type: ignore[operator]
            changed = True
    if changed:
        s.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        tmp.replace(path)
    return s.model_copy(update={k: SecretStr(stored[k]) for k in missing})


def load_settings(**overrides: object) -> Settings:
    """Read the configuration and make it runnable, or fail naming what is missing."""
    s = Settings(**overrides)  # type: ignore[arg-type]
    s = s.model_copy(update={"data_dir": s.data_dir.expanduser().resolve()})
    if s.is_production:
        missing = _production_missing(s)
        if missing:
            raise ConfigError(
                "Missing required production settings: " + ", ".join(missing)
                + ". Set them in the environment or .env (see .env.example)."
            )
        return s
    return _fill_dev_secrets(s)
