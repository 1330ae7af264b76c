"""Test doubles for code that needs a :class:`~d4h_sdk.identity.signing.Signer`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import ConfigurationError, SigningError

__all__ = ["FakeSigner"]

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class FakeSigner:
    """A deterministic in-memory signer for tests: same seed, same key (and, for Ed25519, same signatures).

    Its signatures are real (they verify against :meth:`public_jwk`), so code under test can build and check
    tokens end to end without any key file or backend. Every signed input is recorded in :attr:`signed`;
    set :attr:`fail` to make :meth:`sign` raise :class:`~d4h_sdk.errors.SigningError`, as a broken backend
    would.

    Args:
        kind: ``Ed25519`` (EdDSA, deterministic signatures) or ``P-256`` (ES256, deterministic key).
        key_id: The DID URL used as ``kid``.
        seed: Bytes the key is derived from; signers with the same seed share the key.
        fail: Start in the failing state.

    Attributes:
        signed: Every input passed to :meth:`sign`, in order (failed calls included).
        fail: When true, :meth:`sign` raises ``SigningError``.

    Raises:
        ConfigurationError: Unknown kind or an empty key id.
    """

    def __init__(
        self,
        kind: str = "Ed25519",
        *,
        key_id: str = "did:web:fake.example#key-1",
        seed: bytes = b"d4h-sdk fake signer",
        fail: bool = False,
    ) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519

        from d4h_sdk.identity.signing._local import LocalKeySigner

        if not key_id:
            raise ConfigurationError("key_id must be a non-empty DID URL")
        material = hashlib.sha256(seed).digest()
        key: Any
        if kind == "Ed25519":
            key = ed25519.Ed25519PrivateKey.from_private_bytes(material)
        elif kind == "P-256":
            key = ec.derive_private_key(
                int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1, ec.SECP256R1()
            )
        else:
            raise ConfigurationError(f"FakeSigner supports kind 'Ed25519' or 'P-256', not {kind!r}")
        self._inner = LocalKeySigner._from_key(key, key_id=key_id, algorithm=None)
        self.kind = kind
        self.signed: list[bytes] = []
        self.fail = fail

    @property
    def key_id(self) -> str:
        """The DID URL used as ``kid``."""
        return self._inner.key_id

    @property
    def algorithm(self) -> str:
        """``EdDSA`` or ``ES256``."""
        return self._inner.algorithm

    def public_jwk(self) -> Mapping[str, Any]:
        """The public JWK (with ``kid`` and ``alg``)."""
        return self._inner.public_jwk()

    def sign(self, data: bytes) -> bytes:
        """Record ``data`` and sign it, or raise ``SigningError`` when :attr:`fail` is set.

        Args:
            data: The JWS signing input.

        Returns:
            The JOSE signature.

        Raises:
            SigningError: :attr:`fail` is set.
        """
        self.signed.append(bytes(data))
        if self.fail:
            raise SigningError("FakeSigner is set to fail")
        return self._inner.sign(data)

    def __repr__(self) -> str:
        return f"FakeSigner(kind={self.kind!r}, key_id={self.key_id!r}, fail={self.fail})"
