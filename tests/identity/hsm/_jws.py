"""Check a signer's output the way a relying party does: a compact JWS verified by jwcrypto."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from d4h_sdk.identity.signing import Signer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signing_input(signer: Signer, payload: Mapping[str, Any]) -> bytes:
    header = {"alg": signer.algorithm, "kid": signer.key_id, "typ": "JWT"}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}".encode()


def sign_and_verify(signer: Signer, payload: Mapping[str, Any] | None = None) -> bytes:
    """Build a compact JWS with ``signer`` and verify it with jwcrypto against ``signer.public_jwk()``."""
    from jwcrypto.jwk import JWK
    from jwcrypto.jws import JWS

    jwk = dict(signer.public_jwk())
    assert "d" not in jwk and "p" not in jwk, "public_jwk() must hold public members only"
    data = signing_input(signer, payload or {"iss": "did:web:hospital.example", "n": 1})
    signature = signer.sign(data)
    token = f"{data.decode()}.{b64url(signature)}"
    jws = JWS()
    jws.deserialize(token)
    jws.verify(JWK(**jwk), alg=signer.algorithm)
    return signature
