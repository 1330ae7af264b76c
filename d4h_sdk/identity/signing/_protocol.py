"""The ``Signer`` extension point: anything that can produce a raw JWS signature for given bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Signer"]


@runtime_checkable
class Signer(Protocol):
    """Signs bytes with a key the SDK never needs to see.

    The SDK builds every JWS signing input itself (``b64url(header) + "." + b64url(payload)``, or the raw
    verify data for ``b64: false``) and asks the signer for the signature only, so a key in an HSM, Vault or
    a cloud KMS serves JWTs and Data Integrity proofs alike.
    """

    @property
    def key_id(self) -> str:
        """The full DID URL of the key (``did:web:hospital.example#key-1``), used as the JOSE ``kid``."""
        ...

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm name: ``ES256``, ``ES384``, ``EdDSA``, ``PS256``, ``RS256``, ..."""
        ...

    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as a JWK (public members only)."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the JWS signature over ``data``, in JOSE form (ES256: 64 raw bytes ``r||s``, never DER).

        Raises:
            SigningError: The backend failed to sign.
        """
        ...
