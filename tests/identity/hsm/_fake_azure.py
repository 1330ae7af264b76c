"""A Key Vault stand-in for ``responses``: real keys, the documented wire shapes, strict checks of requests."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

VAULT = "https://hospital.vault.azure.net"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-access-token.sig"

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1, "P-256K": ec.SECP256K1}


@functools.lru_cache(maxsize=1)
def rsa_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key per test run (generating one costs ~0.1 s)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeKey:
    """One key version in the fake vault."""

    name: str
    version: str
    private: Any
    kty: str
    crv: str | None = None
    sign_status: int = 200
    sign_calls: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def ec(cls, name: str, crv: str = "P-256", version: str = "0123456789abcdef") -> FakeKey:
        return cls(name, version, ec.generate_private_key(_CURVES[crv]()), "EC-HSM", crv)

    @classmethod
    def rsa(cls, name: str, version: str = "fedcba9876543210") -> FakeKey:
        return cls(name, version, rsa_key(), "RSA-HSM")

    @property
    def url(self) -> str:
        return f"{VAULT}/keys/{self.name}/{self.version}"

    def key_bundle(self) -> dict[str, Any]:
        jwk: dict[str, Any] = {"kid": self.url, "kty": self.kty, "key_ops": ["sign", "verify"]}
        numbers = self.private.public_key().public_numbers()
        if self.kty.startswith("EC"):
            size = (self.private.curve.key_size + 7) // 8
            jwk.update(
                crv=self.crv,
                x=b64url(numbers.x.to_bytes(size, "big")),
                y=b64url(numbers.y.to_bytes(size, "big")),
            )
        else:
            jwk.update(n=b64url(numbers.n.to_bytes(256, "big")), e=b64url(numbers.e.to_bytes(3, "big")))
        return {"key": jwk, "attributes": {"enabled": True, "recoveryLevel": "Recoverable+Purgeable"}}

    def sign_digest(self, alg: str, digest: bytes) -> bytes:
        """What Key Vault does: sign the given digest; ECDSA answers raw r||s (IEEE P1363)."""
        hash_cls = _HASHES[alg[2:5]]
        prehashed = utils.Prehashed(hash_cls())
        if alg.startswith("ES"):
            der = self.private.sign(digest, ec.ECDSA(prehashed))
            r, s = utils.decode_dss_signature(der)
            size = (self.private.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
            return bytes(self.private.sign(digest, pss, prehashed))
        return bytes(self.private.sign(digest, padding.PKCS1v15(), prehashed))


def _check_request(request: Any) -> None:
    assert request.headers.get("Authorization") == f"Bearer {TOKEN}", "missing or wrong bearer token"
    assert parse_qs(urlsplit(request.url).query) == {"api-version": ["7.4"]}


def register(mock: responses.RequestsMock, key: FakeKey) -> None:
    """Serve GET key and POST sign for ``key`` on ``mock``."""

    def get_key(request: Any) -> tuple[int, dict[str, str], str]:
        _check_request(request)
        return 200, {"Content-Type": "application/json"}, json.dumps(key.key_bundle())

    def sign(request: Any) -> tuple[int, dict[str, str], str]:
        _check_request(request)
        body = json.loads(request.body)
        key.sign_calls.append(body)
        if key.sign_status != 200:
            error = {"error": {"code": "InternalError", "message": "HSM unavailable"}}
            return key.sign_status, {"Content-Type": "application/json"}, json.dumps(error)
        assert set(body) == {"alg", "value"}
        digest = b64url_decode(body["value"])
        assert len(digest) == hashlib.new("sha" + body["alg"][2:5]).digest_size, "Key Vault expects a digest"
        answer = {"kid": key.url, "value": b64url(key.sign_digest(body["alg"], digest))}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    mock.add_callback(responses.GET, key.url, callback=get_key)
    mock.add_callback(responses.POST, f"{key.url}/sign", callback=sign)
