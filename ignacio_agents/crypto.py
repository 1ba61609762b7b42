"""Secrets at rest: phone numbers (encrypted + blind index), OTP codes and tokens (hashed),
channel message ids (keyed hash + encrypted: a WhatsApp wamid embeds the sender's number).

Phone numbers are normalised to E.164 first so "+34 612 34 56 78" and "0034612345678" are the
same person. The ciphertext layout is ``key_id (1 byte) || nonce (12) || ciphertext+tag`` with the
column name as AAD, so keys can rotate (decrypt with any known key, encrypt with the newest) and a
value copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ignacio_agents.errors import IgnacioError, InvalidInput

_PHONE_AAD = b"users.phone"


class InvalidPhoneNumber(InvalidInput):
    """The text is not a valid phone number (the message never repeats it)."""

    code = "invalid_phone_number"
    default_message = "Not a valid phone number. Include the country code, e.g. +34 612 345 678."


class DecryptionError(IgnacioError):
    """Ciphertext could not be decrypted with any known key: a fault of ours, never the user's."""

    code = "decryption_failed"


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Return the E.164 form of ``raw`` or raise ``InvalidPhoneNumber``.

    WhatsApp ids (digits without "+") are accepted: they always carry a country code.
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhoneNumber()
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        if text.isdigit():
            return normalize_phone("+" + text)
        raise InvalidPhoneNumber() from None
    if not phonenumbers.is_valid_number(parsed):
        if text.isdigit() and not text.startswith("0"):
            try:
                return normalize_phone("+" + text)
            except InvalidPhoneNumber:
                pass
        raise InvalidPhoneNumber()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """A form safe for logs and lists: country code and last two digits."""
    return f"{e164[:3]}…{e164[-2:]}" if len(e164) > 6 else "…"


def _decode_key(value: str) -> bytes:
    key = base64.b64decode(value)
    if len(key) != 32:
        raise ValueError("keys must be 32 random bytes, base64-encoded")
    return key


@dataclass(frozen=True)
class PhoneCipher:
    """AES-256-GCM encryption plus an HMAC-SHA256 blind index for phone numbers."""

    encryption_keys: dict[int, bytes]  # key id -> key; the highest id encrypts
    index_key: bytes

    @classmethod
    def from_settings(cls, encryption_key: str, index_key: str,
                      old_keys: str | None = None) -> PhoneCipher:
        keys: dict[int, bytes] = {}
        for item in (old_keys or "").split(","):
            if item.strip():
                key_id, _, value = item.strip().partition(":")
                keys[int(key_id)] = _decode_key(value)
        current_id = max(keys, default=0) + 1
        keys[current_id] = _decode_key(encryption_key)
        return cls(encryption_keys=keys, index_key=_decode_key(index_key))

    @property
    def current_key_id(self) -> int:
        return max(self.encryption_keys)

    def blind_index(self, e164: str) -> bytes:
        return hmac.new(self.index_key, e164.encode(), hashlib.sha256).digest()

    def keyed_hash(self, purpose: str, value: str) -> bytes:
        """Deterministic keyed hash for non-phone lookups (rate-limit keys, IPs)."""
        return hmac.new(self.index_key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()

    def encrypt(self, value: str, aad: bytes = _PHONE_AAD) -> bytes:
        key_id = self.current_key_id
        nonce = secrets.token_bytes(12)
        ct = AESGCM(self.encryption_keys[key_id]).encrypt(nonce, value.encode(), aad)
        return bytes([key_id]) + nonce + ct

    def decrypt(self, blob: bytes, aad: bytes = _PHONE_AAD) -> str:
        blob = bytes(blob)
        key = self.encryption_keys.get(blob[0])
        if key is None:
            raise DecryptionError("unknown key id")
        try:
            return AESGCM(key).decrypt(blob[1:13], blob[13:], aad).decode()
        except InvalidTag:
            raise DecryptionError("wrong key or tampered ciphertext") from None

    def external_id_key(self, external_id: str) -> str:
        """The stored, searchable form of a channel message id: a keyed hash that reveals
        nothing (``SEALED_ID_PREFIX`` marks it, so a row still holding a clear id is told apart)."""
        digest = self.keyed_hash("external_id", external_id)
        return SEALED_ID_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


SEALED_ID_PREFIX = "k1:"


def token_hash(token: str) -> bytes:
    """SHA-256 of a high-entropy token (refresh tokens): no key needed, no brute force possible."""
    return hashlib.sha256(token.encode()).digest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_otp_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"
