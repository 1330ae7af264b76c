"""``SignerContract``: the conformance tests every signing backend passes.

Subclass it in a test module under a name starting with ``Test`` and implement :meth:`make_signer`::

    class TestMyHsmSigner(SignerContract):
        def make_signer(self) -> Signer:
            return MyHsmSigner(...)

The base class itself has no ``Test`` prefix, so pytest does not collect it on its own.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pytest

from d4h_sdk.errors import SigningError
from d4h_sdk.identity.signing._protocol import Signer

__all__ = ["JWA_SIGNING_ALGORITHMS", "SignerContract", "build_compact_jws", "verify_compact_jws"]

JWA_SIGNING_ALGORITHMS: Mapping[str, str] = {
    "ES256": "EC",
    "ES256K": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
}
"""Asymmetric JWA signature algorithms a Signer may use, with the JWK ``kty`` each needs."""

_FIXED_LENGTHS = {"ES256": 64, "ES256K": 64, "ES384": 96, "ES512": 132, "EdDSA": 64, "Ed25519": 64}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def build_compact_jws(signer: Signer, payload: bytes, *, headers: Mapping[str, Any] | None = None) -> str:
    """Build a compact JWS with a signer: header ``{"alg", "kid"}`` (plus ``headers``) over ``payload``.

    Args:
        signer: The signer.
        payload: The payload bytes.
        headers: Extra protected header members.

    Returns:
        The compact serialisation ``header.payload.signature``.
    """
    header = {"alg": signer.algorithm, "kid": signer.key_id, **(headers or {})}
    encoded = _b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64url(payload)
    return encoded + "." + _b64url(signer.sign(encoded.encode("ascii")))


def verify_compact_jws(token: str, jwk: Mapping[str, Any], algorithm: str) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS with jwcrypto, allowing exactly one algorithm.

    Args:
        token: The compact JWS.
        jwk: The public JWK.
        algorithm: The only algorithm accepted.

    Returns:
        The protected header and the payload.

    Raises:
        jwcrypto.jws.InvalidJWSSignature: The signature does not verify.
    """
    from jwcrypto import jwk as jwk_mod
    from jwcrypto import jws

    obj = jws.JWS()
    obj.deserialize(token)
    obj.allowed_algs = [algorithm]
    obj.verify(jwk_mod.JWK(**dict(jwk)), alg=algorithm)
    header = json.loads(obj.objects["protected"])
    return header, bytes(obj.payload)


class SignerContract:
    """Conformance tests for a :class:`~d4h_sdk.identity.signing.Signer` backend (a pytest class).

    Implement :meth:`make_signer`; implement :meth:`make_failing_signer` to also check that a failing
    backend raises :class:`~d4h_sdk.errors.SigningError` (the test is skipped otherwise). Signatures are
    verified with jwcrypto against ``public_jwk()`` with the signer's algorithm as the only one allowed.
    """

    payload = b'{"iss":"did:web:contract.example","sub":"did:web:contract.example","n":1}'

    def make_signer(self) -> Signer:
        """Return the signer under test (override)."""
        raise NotImplementedError("implement make_signer() in the SignerContract subclass")

    def make_failing_signer(self) -> Signer:
        """Return a signer whose backend fails, so that ``sign()`` raises ``SigningError`` (optional)."""
        pytest.skip("make_failing_signer() not provided")

    @pytest.fixture
    def signer(self) -> Signer:
        """The signer under test."""
        return self.make_signer()

    def test_is_a_signer(self, signer: Signer) -> None:
        """The object satisfies the runtime-checkable Signer protocol."""
        assert isinstance(signer, Signer)

    def test_algorithm_is_an_asymmetric_jwa_name(self, signer: Signer) -> None:
        """``algorithm`` is a JWA signature algorithm name (never ``none`` or HS*)."""
        assert signer.algorithm in JWA_SIGNING_ALGORITHMS

    def test_key_id_is_a_non_empty_string(self, signer: Signer) -> None:
        """``key_id`` is usable as a JOSE ``kid``."""
        assert isinstance(signer.key_id, str) and signer.key_id

    def test_public_jwk_has_only_public_members(self, signer: Signer) -> None:
        """``public_jwk()`` leaks no private member and its key type fits the algorithm."""
        jwk = signer.public_jwk()
        leaked = [name for name in _PRIVATE_MEMBERS if name in jwk]
        assert not leaked, f"public_jwk() contains private members {leaked}"
        assert jwk.get("kty") == JWA_SIGNING_ALGORITHMS[signer.algorithm]

    def test_compact_jws_verifies(self, signer: Signer) -> None:
        """A compact JWS signed by the signer verifies against ``public_jwk()``."""
        token = build_compact_jws(signer, self.payload)
        header, payload = verify_compact_jws(token, signer.public_jwk(), signer.algorithm)
        assert payload == self.payload
        assert header["alg"] == signer.algorithm

    def test_kid_in_header_is_the_key_id(self, signer: Signer) -> None:
        """The ``kid`` in the verified header equals ``key_id``."""
        header, _ = verify_compact_jws(
            build_compact_jws(signer, self.payload), signer.public_jwk(), signer.algorithm
        )
        assert header["kid"] == signer.key_id

    def test_signature_has_the_jose_length(self, signer: Signer) -> None:
        """ECDSA signatures are raw ``r || s`` (ES256: 64 bytes, never DER); EdDSA 64; RSA modulus size."""
        signature = signer.sign(b"length check")
        expected = _FIXED_LENGTHS.get(signer.algorithm)
        if expected is None:
            modulus = signer.public_jwk()["n"]
            expected = len(base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4)))
        assert len(signature) == expected

    def test_tampered_payload_fails(self, signer: Signer) -> None:
        """Changing the payload after signing breaks verification."""
        from jwcrypto.jws import InvalidJWSSignature

        header, _, signature = build_compact_jws(signer, self.payload).split(".")
        forged = f"{header}.{_b64url(self.payload + b' ')}.{signature}"
        with pytest.raises(InvalidJWSSignature):
            verify_compact_jws(forged, signer.public_jwk(), signer.algorithm)

    def test_tampered_signature_fails(self, signer: Signer) -> None:
        """Flipping a bit of the signature breaks verification."""
        from jwcrypto.jws import InvalidJWSSignature

        header, payload, signature = build_compact_jws(signer, self.payload).split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[len(raw) // 2] ^= 0x01
        with pytest.raises(InvalidJWSSignature):
            verify_compact_jws(
                f"{header}.{payload}.{_b64url(bytes(raw))}", signer.public_jwk(), signer.algorithm
            )

    def test_signs_empty_and_larger_inputs(self, signer: Signer) -> None:
        """Empty input and a 2 KiB input both produce verifiable signatures."""
        for payload in (b"", bytes(range(256)) * 8):
            token = build_compact_jws(signer, payload)
            assert verify_compact_jws(token, signer.public_jwk(), signer.algorithm)[1] == payload

    def test_failing_backend_raises_signing_error(self) -> None:
        """A backend failure surfaces as ``SigningError`` (skipped without ``make_failing_signer``)."""
        failing = self.make_failing_signer()
        with pytest.raises(SigningError):
            failing.sign(b"will fail")
