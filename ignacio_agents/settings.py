"""Ignacio's configuration: the only place the environment is read.

Names from the original spec (``SUPABASE_URL``, ``JWT_SECRET_KEY``, ``OPENAI_API_KEY``,
``PYDANTIC_AI_MODEL`` ...) keep their meaning. Everything else a real deployment needs is added
with an ``IGNACIO_``-free, self-explanatory name.

Each channel brings its own settings class (a :class:`ChannelSettings` with its own env prefix,
e.g. ``WHATSAPP_``) and its own production requirements, so a deployment that does not use a
channel never has to configure it.

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
from typing import Any, Literal, TypeVar

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
    # Job worker processes `ignacio serve` runs beside the API (a busy worker then never delays
    # a webhook's acknowledgement); 0: the jobs run inside the API process itself when
    # IGNACIO_IN_PROCESS_WORKER is true.
    worker_processes: int = Field(default=1, ge=0, alias="IGNACIO_WORKER_PROCESSES")
    run_worker_in_process: bool = Field(default=True, alias="IGNACIO_IN_PROCESS_WORKER")
    # How much those worker processes yield the CPU (Unix nice, added to the API's): when a
    # burst keeps them busy, the API's acknowledgements and reads are scheduled first.
    worker_nice: int = Field(default=10, ge=0, le=19, alias="IGNACIO_WORKER_NICE")
    web_dist_dir: Path | None = Field(default=None, alias="IGNACIO_WEB_DIST")
    # Host names the server answers for, comma-separated ("*.example.org" for subdomains, "*"
    # for any). Empty: any host in development; production requires a list.
    allowed_hosts: str = Field(default="", alias="IGNACIO_ALLOWED_HOSTS")
    # Request body ceilings, enforced before parsing (uploads use MAX_UPLOAD_BYTES).
    max_auth_body_bytes: int = 16 * 1024
    max_json_body_bytes: int = 1024 * 1024
    max_webhook_body_bytes: int = 4 * 1024 * 1024
    # Slow and greedy clients: a body must arrive in time (408), request headers are bounded
    # (uvicorn answers 431/400 above), and connections beyond a ceiling get a 503 at once.
    request_body_seconds: float = Field(default=30.0, gt=0)
    upload_body_seconds: float = Field(default=600.0, gt=0)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_connections: int = Field(default=1000, ge=1)
    keep_alive_seconds: int = Field(default=5, ge=1)

    # --- database ----------------------------------------------------------------------
    database_url: str | None = None
    db_pool_min_size: int = 1
    db_pool_max_size: int = 10
    # How long a request waits for a pooled connection before answering 503: with Postgres
    # down, a few seconds rather than psycopg's 30, so clients and probes hear it fast.
    db_pool_timeout_seconds: float = 5.0
    embedded_postgres_version: int = 18
    job_poll_interval_seconds: float = 0.5
    # Jobs one worker process runs at once. Turns mostly wait on the model, so many fit in one
    # process; the provider caps below bound what the model provider sees.
    worker_concurrency: int = 48
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
    # Tabs of one browser refreshing together present the same token: the one rotated last is
    # accepted again for this long (any other replay revokes the session).
    refresh_reuse_grace_seconds: int = 10
    otp_ttl_seconds: int = 5 * 60
    otp_max_attempts: int = 5
    otp_rate_limit_per_phone: int = 3
    otp_rate_limit_per_phone_total: int = 10
    otp_rate_limit_per_ip: int = 20
    otp_verify_failures_per_ip: int = 10
    otp_verify_failures_global: int = 1000
    otp_rate_limit_window_seconds: int = 15 * 60
    # Second factor (authenticator app) for admins and mentors: on, those without one may use
    # their session only to enrol. Wrong second-factor codes per account per OTP window; the
    # challenge between the WhatsApp code and the TOTP code lives this long.
    admin_require_totp: bool = False
    totp_failures_per_user: int = Field(default=10, ge=1)
    totp_challenge_ttl_seconds: int = Field(default=5 * 60, ge=30)
    default_phone_region: str = "ES"
    phone_encryption_key: SecretStr | None = None
    # Older encryption keys, "id:base64" comma-separated, still accepted for decryption.
    phone_encryption_old_keys: SecretStr | None = None
    phone_index_key: SecretStr | None = None

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
    # The offline model's pause between the pieces it streams (0: all at once), so a demo or a
    # browser test sees an answer arrive as a real model's would.
    offline_stream_chunk_seconds: float = Field(default=0.0, ge=0, le=1)
    # After this many provider failures in a row, turns get the fallback at once for a while.
    model_circuit_failures: int = 3
    model_circuit_cooldown_seconds: float = 30.0
    history_token_budget: int = 6000
    # What a turn is told about the participant from earlier turns and other conversations.
    memory_token_budget: int = 1200
    # A conversation is folded into memory once it has been quiet this long (one summary call
    # for a session's turns, not one per minute of it), once its participant has moved on to
    # another conversation, or once its unfolded activity is this much newer than its last fold.
    memory_fold_quiet_seconds: float = Field(default=120.0, ge=0)
    memory_fold_max_lag_seconds: float = Field(default=600.0, ge=0)
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
    # Model requests one process keeps in flight per provider (the router's and specialists'
    # together); a provider's 429 pauses them all for its Retry-After instead of failing turns.
    model_max_concurrency: int = 48
    model_rate_limit_max_backoff_seconds: float = 30.0
    turn_tool_calls_limit: int = 12
    transcription_model: str = "gpt-4o-mini-transcribe"

    # --- usage: prices and caps ---------------------------------------------------------
    # USD per million tokens for models genai-prices does not know (local servers, offline).
    usage_price_input_per_mtok: float = Field(default=0.0, ge=0)
    usage_price_output_per_mtok: float = Field(default=0.0, ge=0)
    # Token caps (input + output, UTC day / month); unset = none. A cohort's own participant
    # caps take precedence over the participant defaults.
    participant_daily_token_cap: int | None = Field(default=None, gt=0)
    participant_monthly_token_cap: int | None = Field(default=None, gt=0)
    global_daily_token_cap: int | None = Field(default=None, gt=0)
    global_monthly_token_cap: int | None = Field(default=None, gt=0)
    # What a turn reserves against the caps until its usage is accounted (about one turn's spend).
    usage_turn_reservation_tokens: int = Field(default=4000, ge=0)

    # --- recall (embeddings) -----------------------------------------------------------
    # An OpenAI-compatible embeddings model (e.g. text-embedding-3-small, or an Ollama model
    # such as nomic-embed-text) makes history and file search hybrid; unset: full text alone.
    embeddings_model: str | None = None
    embeddings_base_url: str | None = None  # default: OPENAI_BASE_URL, else OpenAI
    embeddings_api_key: SecretStr | None = None  # default: OPENAI_API_KEY
    embeddings_dimensions: int | None = Field(default=None, gt=0)
    embeddings_min_similarity: float = Field(default=0.2, ge=-1.0, le=1.0)

    # --- mentors in the loop -----------------------------------------------------------
    # A pause with no human activity for this long ends by itself (nothing is said about it).
    mentor_pause_timeout_seconds: float = Field(default=4 * 3600, gt=0)
    # At most one "a participant asked for a person" alert per conversation per mentor per...
    mentor_alert_interval_seconds: float = Field(default=3600, ge=0)
    # WhatsApp's "¿Te ha servido?" follow-up: on at most this share of answers, and never
    # twice to one participant within the interval.
    feedback_prompt_percent: float = Field(default=10.0, ge=0, le=100)
    feedback_prompt_interval_seconds: float = Field(default=24 * 3600, ge=0)

    # --- consent ------------------------------------------------------------------------
    # The notice shown once per channel on first contact (what is stored, how to get it or
    # have it deleted); blank: the built-in text (ignacio_agents.consent). Off only where
    # consent is collected and recorded another way (a signed form at enrolment).
    consent_notice_enabled: bool = True
    consent_notice_es: str | None = None
    consent_notice_en: str | None = None

    # --- observability -----------------------------------------------------------------
    logfire_token: SecretStr | None = None
    # Any OTLP collector (Jaeger, Tempo, Honeycomb...); like a Logfire token, it turns tracing on.
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None
    # auto: request, query, model and HTTP spans only when an exporter above is configured (with
    # no reader, they would cost CPU on every query for nobody); on: always (local debugging);
    # off: never.
    tracing: Literal["auto", "on", "off"] = Field(default="auto", alias="IGNACIO_TRACING")
    # Share of traces kept when tracing (head sampling: a kept request keeps all its spans).
    trace_sample_rate: float = Field(default=0.1, ge=0.0, le=1.0)

    @field_validator(
        "database_url", "supabase_url", "openai_base_url",
        "pydantic_ai_triage_model", "pydantic_ai_summary_model", "pydantic_ai_context_window",
        "openai_compatible", "embeddings_model", "embeddings_base_url", "embeddings_dimensions",
        "otel_exporter_otlp_endpoint", "otel_exporter_otlp_traces_endpoint",
        "participant_daily_token_cap", "participant_monthly_token_cap", "global_daily_token_cap",
        "global_monthly_token_cap", "consent_notice_es", "consent_notice_en", mode="before",
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
    def trace_exporter_configured(self) -> bool:
        return bool(self.logfire_token or self.otel_exporter_otlp_endpoint
                    or self.otel_exporter_otlp_traces_endpoint)

    @property
    def tracing_enabled(self) -> bool:
        if self.tracing == "auto":
            return self.trace_exporter_configured
        return self.tracing == "on"

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
        "allowed_hosts",
    ]
    if s.storage_backend == "supabase":
        required += ["supabase_url", "supabase_service_key"]
    return [(Settings.model_fields[name].alias or name).upper()
            for name in required if getattr(s, name) in (None, "")]


def _stored_dev_secrets(data_dir: Path, names: dict[str, Any]) -> dict[str, str]:
    """Generate the named local secrets once and keep them in ``<data_dir>/secrets.json``
    (shared by the core and every channel, each under its own env-style key)."""
    path = data_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    new = {key: make() for key, make in names.items() if key not in stored}
    if new:
        stored.update(new)
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        tmp.replace(path)
    return {key: stored[key] for key in names}


def _fill_dev_secrets(s: Settings) -> Settings:
    """Generate missing local secrets once and keep them in the data directory."""
    missing = {k: make for k, make in _GENERATED_SECRETS.items() if getattr(s, k) is None}
    if not missing:
        return s
    values = _stored_dev_secrets(s.data_dir, missing)
    return s.model_copy(update={k: SecretStr(v) for k, v in values.items()})


def _check_overrides(cls: type[BaseSettings], overrides: dict[str, object]) -> None:
    known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
    known |= {"_env_file"}
    unknown = sorted(k for k in overrides if k not in known)
    if unknown:
        raise TypeError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")


def _missing_error(missing: list[str]) -> ConfigError:
    return ConfigError(
        "Missing required production settings: " + ", ".join(missing)
        + ". Set them in the environment or .env (see .env.example)."
    )


def load_settings(**overrides: object) -> Settings:
    """Read the configuration and make it runnable, or fail naming what is missing.

    ``overrides`` must name core settings: a channel's (e.g. ``whatsapp_app_secret``) belong
    to its own settings class, and silently ignoring them would hide the mistake."""
    _check_overrides(Settings, overrides)
    s = Settings(**overrides)  # type: ignore[arg-type]
    s = s.model_copy(update={"data_dir": s.data_dir.expanduser().resolve()})
    if s.is_production:
        missing = _production_missing(s)
        if missing:
            raise _missing_error(missing)
        return s
    return _fill_dev_secrets(s)


class ChannelSettings(BaseSettings):
    """Base of a channel's own settings: one class per channel, read from the same env/.env
    under the channel's prefix (``model_config = SettingsConfigDict(env_prefix=...)``).

    A channel decides when it is in use (:meth:`enabled`) and what it then needs in production
    (:meth:`production_required`); in development the secrets named by :meth:`dev_secrets` are
    generated once, like the core's, so a fresh checkout runs without configuring anything.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False,
    )

    def enabled(self, core: Settings) -> bool:
        """Whether this deployment uses the channel (development always may)."""
        return True

    def production_required(self) -> list[str]:
        """Field names that must be set when the channel is enabled in production."""
        return []

    @classmethod
    def dev_secrets(cls) -> dict[str, Any]:
        """Field name -> generator for secrets a development install may make for itself."""
        return {}

    def env_name(self, field: str) -> str:
        return (str(self.model_config.get("env_prefix", "")) + field).upper()


C = TypeVar("C", bound=ChannelSettings)


def load_channel_settings(cls: type[C], core: Settings, **overrides: object) -> C:
    """A channel's settings from env/.env (plus ``overrides``), made runnable like the core's:
    in production an enabled channel missing a required value stops start-up, naming it."""
    _check_overrides(cls, overrides)
    s = cls(**overrides)  # type: ignore[arg-type]
    if core.is_production:
        if s.enabled(core):
            missing = [s.env_name(n) for n in s.production_required()
                       if getattr(s, n) in (None, "")]
            if missing:
                raise _missing_error(missing)
        return s
    unset = {n: make for n, make in cls.dev_secrets().items() if getattr(s, n) is None}
    if not unset:
        return s
    prefix = str(cls.model_config.get("env_prefix", ""))
    values = _stored_dev_secrets(core.data_dir, {prefix + n: make for n, make in unset.items()})
    return s.model_copy(update={n: SecretStr(values[prefix + n]) for n in unset})
