"""A local fake of HashiCorp Vault's Transit engine (the endpoints the signer uses), with real keys.

Implements, as documented for Vault's Transit API:
* ``GET /v1/<mount>/keys/<name>``: type, latest_version, supports_signing, per-version public keys (PEM for
  EC and RSA, standard base64 of the raw key for ed25519);
* ``POST /v1/<mount>/sign/<name>[/<hash_algorithm>]``: ``input`` (base64), ``key_version``,
  ``hash_algorithm`` (default sha2-256), ``signature_algorithm`` (pss default, pkcs1v15),
  ``salt_length`` (auto default = maximum, hash, or a number), ``marshaling_algorithm`` (asn1 default =
  DER, jws = raw r||s in unpadded base64url); answers ``{"data": {"signature": "vault:v<N>:<b64>"}}``.

Not a conftest.py; test modules build fixtures on top of :class:`FakeVault`.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

_HASHES: dict[str, Any] = {"sha2-256": hashes.SHA256, "sha2-384": hashes.SHA384, "sha2-512": hashes.SHA512}
_CURVES: dict[str, Any] = {"ecdsa-p256": ec.SECP256R1, "ecdsa-p384": ec.SECP384R1, "ecdsa-p521": ec.SECP521R1}


@dataclass
class Key:
    type: str
    versions: list[Any] = field(default_factory=list)

    def new_version(self) -> None:
        if self.type in _CURVES:
            self.versions.append(ec.generate_private_key(_CURVES[self.type]()))
        elif self.type == "ed25519":
            self.versions.append(ed25519.Ed25519PrivateKey.generate())
        elif self.type.startswith("rsa-"):
            self.versions.append(rsa.generate_private_key(public_exponent=65537, key_size=int(self.type[4:])))
        else:
            self.versions.append(None)  # an encryption key: no public key

    def public(self, index: int) -> str:
        key = self.versions[index]
        if self.type == "ed25519":
            raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return base64.b64encode(raw).decode()
        pem: bytes = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class FakeVault:
    """A Transit-engine fake on 127.0.0.1. ``tokens`` lists the accepted tokens."""

    def __init__(self, tokens: set[str] | None = None) -> None:
        self.tokens = tokens if tokens is not None else {"hvs.fake-root-token"}
        self.keys: dict[tuple[str, str], Key] = {}
        self.seen: list[Seen] = []
        self.answer_version: int | None = None  # misbehave: claim another key version
        self.ignore_marshaling = False  # misbehave: always answer DER for ECDSA
        self.error_echo = False  # misbehave: echo the token in error messages
        self.key_override: Any = None  # misbehave: answer this JSON to every key read
        self.sign_override: Any = None  # misbehave: answer this JSON to every sign request
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeVault:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def add_key(self, name: str, key_type: str, *, mount: str = "transit") -> Key:
        key = Key(key_type)
        key.new_version()
        self.keys[(mount, name)] = key
        return key

    def rotate(self, name: str, *, mount: str = "transit") -> None:
        self.keys[(mount, name)].new_version()

    # -- endpoint logic ---------------------------------------------------------------------------------------

    def read_key(self, mount: str, name: str) -> tuple[int, dict[str, Any]]:
        key = self.keys.get((mount, name))
        if key is None:
            return 404, {"errors": []}
        signing = key.type in _CURVES or key.type == "ed25519" or key.type.startswith("rsa-")
        versions: dict[str, Any] = {}
        for index in range(len(key.versions)):
            if signing:
                versions[str(index + 1)] = {
                    "creation_time": "2026-01-01T00:00:00Z",
                    "name": key.type,
                    "public_key": key.public(index),
                }
            else:
                versions[str(index + 1)] = 1767225600
        data = {
            "name": name,
            "type": key.type,
            "latest_version": len(key.versions),
            "min_available_version": 0,
            "min_decryption_version": 1,
            "supports_signing": signing,
            "keys": versions,
        }
        return 200, {"data": data}

    def sign(self, mount: str, name: str, hash_in_path: str | None, body: dict[str, Any]) -> tuple[int, Any]:
        key = self.keys.get((mount, name))
        if key is None:
            return 400, {"errors": ["signing key not found"]}
        if not (key.type in _CURVES or key.type == "ed25519" or key.type.startswith("rsa-")):
            return 400, {"errors": [f"key type {key.type} does not support signing"]}
        version = int(body.get("key_version") or 0) or len(key.versions)
        if version > len(key.versions):
            return 400, {"errors": ["requested version for signing is higher than the latest key version"]}
        private = key.versions[version - 1]
        data = base64.b64decode(body.get("input", ""))
        hash_name = body.get("hash_algorithm") or hash_in_path or "sha2-256"
        if hash_name not in _HASHES:
            return 400, {"errors": [f"unsupported hash algorithm {hash_name}"]}
        digest = _HASHES[hash_name]()
        if key.type in _CURVES:
            hasher = hashes.Hash(digest)
            hasher.update(data)
            der = private.sign(hasher.finalize(), ec.ECDSA(utils.Prehashed(digest)))
            if body.get("marshaling_algorithm") == "jws" and not self.ignore_marshaling:
                r, s = utils.decode_dss_signature(der)
                size = (private.curve.key_size + 7) // 8
                encoded = base64.urlsafe_b64encode(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
                signature = encoded.rstrip(b"=").decode()
            else:
                signature = base64.b64encode(der).decode()
        elif key.type == "ed25519":
            signature = base64.b64encode(private.sign(data)).decode()
        else:
            if body.get("signature_algorithm", "pss") == "pkcs1v15":
                pad: Any = padding.PKCS1v15()
            else:
                salt = str(body.get("salt_length", "auto"))
                length: Any = {"auto": padding.PSS.MAX_LENGTH, "hash": digest.digest_size}.get(salt)
                pad = padding.PSS(
                    mgf=padding.MGF1(digest), salt_length=int(salt) if length is None else length
                )
            signature = base64.b64encode(private.sign(data, pad, digest)).decode()
        shown = self.answer_version or version
        return 200, {"data": {"signature": f"vault:v{shown}:{signature}", "key_version": shown}}


def _handler(vault: FakeVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            token = self.headers.get("X-Vault-Token", "")
            if token in vault.tokens:
                return True
            message = f"permission denied (token {token})" if vault.error_echo else "permission denied"
            self._reply(403, {"errors": [message]})
            return False

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            vault.seen.append(Seen(method, self.path, dict(self.headers), body))
            if not self._authorized():
                return
            parts = self.path.strip("/").split("/")
            if parts[0] == "v1" and len(parts) >= 4:
                if method == "GET" and parts[-2] == "keys" and vault.key_override is not None:
                    self._reply(200, vault.key_override)
                    return
                if method == "POST" and vault.sign_override is not None:
                    self._reply(200, vault.sign_override)
                    return
                if method == "GET" and parts[-2] == "keys":
                    self._reply(*vault.read_key("/".join(parts[1:-2]), parts[-1]))
                    return
                if method == "POST" and parts[-2] == "sign":
                    self._reply(*vault.sign("/".join(parts[1:-2]), parts[-1], None, body or {}))
                    return
                if method == "POST" and len(parts) >= 5 and parts[-3] == "sign":
                    self._reply(*vault.sign("/".join(parts[1:-3]), parts[-2], parts[-1], body or {}))
                    return
            self._reply(404, {"errors": []})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler
