"""The WhatsApp channel's configuration: every ``WHATSAPP_*`` variable, and nothing else.

The names are the original spec's (``WHATSAPP_ACCESS_TOKEN``, ``WHATSAPP_PHONE_NUMBER_ID``,
``WHATSAPP_VERIFY_TOKEN``) plus what a real deployment needs. The channel is in use in
production as soon as any of its credentials is set, and then needs all four; a web-only
deployment sets none and starts without them. In development the webhook secrets are generated
once (``<data_dir>/secrets.json``) and sending stays off until a token and number id are set.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from ignacio_agents.settings import ChannelSettings, Settings

_CREDENTIALS = ("access_token", "phone_number_id", "verify_token", "app_secret")


class WhatsAppSettings(ChannelSettings):
    model_config = SettingsConfigDict(
        env_prefix="WHATSAPP_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        case_sensitive=False,
    )

    access_token: SecretStr | None = None
    phone_number_id: str | None = None
    verify_token: SecretStr | None = None
    app_secret: SecretStr | None = None
    graph_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v24.0"
    otp_template_name: str = "ignacio_login_code"
    otp_template_language: str = "es"
    # Approved utility templates: the alert a mentor gets when a participant asks for a person
    # (body {{1}}: the participant's name), and a mentor's message once the 24-hour window has
    # closed (body {{1}}: the mentor's name, {{2}}: the message).
    mentor_alert_template: str = "ignacio_mentor_alert"
    mentor_reply_template: str = "ignacio_mentor_reply"
    mentor_template_language: str = "es"
    max_inbound_age_seconds: int = 30 * 60
    # Durable sending: a retryable Graph error re-queues the answer job after
    # ``base * 4**attempt`` seconds (with jitter), at most ``max``, while the window allows.
    send_retry_base_seconds: float = 4.0
    send_retry_max_seconds: float = 15 * 60
    # Meta's customer-service window: free-form answers only this long after the
    # participant's last message; after it, the "answer waiting" template.
    reply_window_seconds: int = 24 * 3600
    answer_waiting_template_name: str = "ignacio_answer_waiting"
    answer_waiting_template_language: str = "es"
    # Messages of one participant arriving within this many seconds are answered together.
    quiet_period_seconds: float = 3.0
    max_media_bytes: int = 25 * 1024 * 1024
    # A long answer (more than twice this) goes out as a short first part of at most this many
    # characters, cut at a natural boundary, then the rest in parts of at most 4096.
    first_part_chars: int = Field(default=700, ge=100, le=4096)
    # Seconds kept between two messages to the same participant (parts of one answer, then its
    # follow-up buttons): Meta allows one message per 6 s to a user with short bursts on top,
    # so a few parts a second or so apart stay within the burst and arrive in order.
    part_gap_seconds: float = Field(default=1.0, ge=0, le=60)

    @field_validator("phone_number_id", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def configured(self) -> bool:
        """Whether messages can be sent (a token and a business number id are set)."""
        return bool(self.access_token and self.phone_number_id)

    def enabled(self, core: Settings) -> bool:
        return not core.is_production or any(getattr(self, n) for n in _CREDENTIALS)

    def production_required(self) -> list[str]:
        return list(_CREDENTIALS)

    @classmethod
    def dev_secrets(cls) -> dict[str, Any]:
        return {
            "app_secret": lambda: secrets.token_hex(16),
            "verify_token": lambda: secrets.token_urlsafe(16),
        }
