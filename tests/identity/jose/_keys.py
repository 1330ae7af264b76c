"""Test-only signers backed by jwcrypto (independent of d4h_sdk.identity.signing backends)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK

ISSUER = "did:web:issuer.example"
KID = ISSUER + "#key-1"

_SPECS: dict[str, tuple[dict[str, Any], str]] = {
    "P-256": ({"kty": "EC", "crv": "P-256"}, "ES256"),
    "P-384": ({"kty": "EC", "crv": "P-384"}, "ES384"),
    "P-521": ({"kty": "EC", "crv": "P-521"}, "ES512"),
    "secp256k1": ({"kty": "EC", "crv": "secp256k1"}, "ES256K"),
    "Ed25519": ({"kty": "OKP", "crv": "Ed25519"}, "EdDSA"),
    "RSA": ({"kty": "RSA", "size": 2048}, "PS256"),
}


@functools.cache
def _generate(kind: str, label: str) -> JWK:
    return JWK.generate(**_SPECS[kind][0])


def private_key(kind: str, label: str = "issuer") -> JWK:
    """A generated key per (kind, label), cached for the test session."""
    return _generate(kind, label)


class JwkSigner:
    """A Signer over a jwcrypto private key: raw JOSE signatures, like a correct backend."""

    def __init__(self, key: JWK, *, algorithm: str, key_id: str = KID) -> None:
        self._key = key
        self._algorithm = algorithm
        self._key_id = key_id
        self.calls = 0

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return self._algorithm

    def public_jwk(self) -> Mapping[str, Any]:
        exported: dict[str, Any] = self._key.export_public(as_dict=True)
        return exported

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return bytes(JWA.signing_alg(self._algorithm).sign(self._key, data))


class DerSigner(JwkSigner):
    """A broken ECDSA backend that returns DER instead of raw r||s."""

    def sign(self, data: bytes) -> bytes:
        raw = super().sign(data)
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def signer(
    kind: str = "P-256", *, key_id: str = KID, algorithm: str | None = None, label: str = "issuer"
) -> JwkSigner:
    return JwkSigner(private_key(kind, label), algorithm=algorithm or _SPECS[kind][1], key_id=key_id)


def public(kind: str = "P-256", label: str = "issuer") -> dict[str, Any]:
    return dict(private_key(kind, label).export_public(as_dict=True))
