"""Encryption of EDR tokens at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The plaintext sealed is a small JSON object binding the token to its agreement id, so a ciphertext copied
onto another row does not decrypt as that row's token. ``cryptography`` is imported only when a key is given.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from d4h_sdk.errors import ConfigurationError

__all__ = ["TokenCipher"]

logger = logging.getLogger("d4h_sdk.store")

SCHEME = "fernet"
"""The ``token_scheme`` value of a Fernet-sealed token."""


def _fernet_key(key: bytes | str) -> bytes:
    if isinstance(key, bytes):
        if len(key) == 32:
            return base64.urlsafe_b64encode(key)
        raise ConfigurationError(f"edr_key as bytes must be 32 random bytes, got {len(key)} bytes")
    if isinstance(key, str):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
            raise ConfigurationError("edr_key as a string must be a Fernet key (url-safe base64)") from exc
        if len(raw) != 32:
            raise ConfigurationError(
                "edr_key as a string must be a Fernet key (44 characters of url-safe base64 for 32 bytes)"
            )
        return key.encode("ascii")
    raise ConfigurationError(f"edr_key must be bytes, a string or None, not {type(key).__name__}")


class TokenCipher:
    """Seals and opens EDR tokens with one Fernet key.

    Args:
        key: 32 random bytes, or a Fernet key string (``Fernet.generate_key().decode()``).

    Raises:
        ConfigurationError: The key has the wrong type, length or encoding.
    """

    def __init__(self, key: bytes | str) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(_fernet_key(key))

    def __repr__(self) -> str:
        return "TokenCipher(<key hidden>)"

    def seal(self, agreement_id: str, token: str) -> bytes:
        """Encrypt ``token`` for the row of ``agreement_id``."""
        plaintext = json.dumps({"agreement_id": agreement_id, "authorization": token}).encode("utf-8")
        return self._fernet.encrypt(plaintext)

    def open(self, agreement_id: str, sealed: bytes) -> str | None:
        """Decrypt a sealed token; ``None`` (and a WARNING) if the key is wrong or the data damaged."""
        from cryptography.fernet import InvalidToken

        try:
            document: Any = json.loads(self._fernet.decrypt(sealed))
        except (InvalidToken, ValueError, TypeError):
            logger.warning(
                "the EDR token cached for agreement %s cannot be decrypted with the configured edr_key "
                "(another key, or damaged data): it is ignored and a fresh EDR will be fetched",
                agreement_id,
            )
            return None
        token = document.get("authorization") if isinstance(document, dict) else None
        if not isinstance(token, str) or document.get("agreement_id") != agreement_id:
            logger.warning(
                "the EDR token cached for agreement %s was sealed for another row: it is ignored",
                agreement_id,
            )
            return None
        return token
