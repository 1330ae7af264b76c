"""The ``vault-transit`` backend: HashiCorp Vault's Transit secrets engine signs, the key never leaves Vault.

Vault's defaults do not produce valid JWS, so the signer always sends what JOSE needs:
``marshaling_algorithm=jws`` for ECDSA (raw ``r || s`` instead of DER), ``hash_algorithm`` matching the
algorithm (Vault's default SHA-256 is wrong for ES384/ES512), ``signature_algorithm=pss`` with
``salt_length=hash`` for PS* (Vault's default ``auto`` uses the maximum salt, which JOSE verifiers reject)
or ``pkcs1v15`` for RS*, and a pinned ``key_version`` (the version whose public key is published).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from d4h_sdk._redact import redact_text
from d4h_sdk.errors import APIError, ConfigurationError, SigningError
from d4h_sdk.identity.signing._der import ECDSA_COMPONENT_SIZES, ecdsa_der_to_jose

if TYPE_CHECKING:
    from d4h_sdk._http import HttpClient

__all__ = ["KEY_TYPE_ALGORITHMS", "VaultTransitSigner", "create_vault_transit_signer"]

logger = logging.getLogger("d4h_sdk.identity.signing")

KEY_TYPE_ALGORITHMS: Mapping[str, tuple[str, ...]] = {
    "ecdsa-p256": ("ES256",),
    "ecdsa-p384": ("ES384",),
    "ecdsa-p521": ("ES512",),
    "ed25519": ("EdDSA", "Ed25519"),
    "rsa-2048": ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512"),
    "rsa-3072": ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512"),
    "rsa-4096": ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512"),
}
"""Transit key types the signer supports and the JOSE algorithms each allows (default first)."""

_HASHES = {"256": "sha2-256", "384": "sha2-384", "512": "sha2-512"}
_OPTIONS = frozenset(
    {"url", "key_name", "token", "mount", "key_version", "algorithm", "key_id", "namespace", "http"}
)


def _token_auth(source: str | Callable[[], str]) -> Any:
    """An auth object that sets ``X-Vault-Token``, re-reading a callable source for every request."""
    from d4h_sdk._http import AuthBase

    class _VaultTokenAuth(AuthBase):
        last_token = ""

        def __call__(self, r: Any) -> Any:
            token = source() if callable(source) else source
            if not isinstance(token, str) or not token.strip():
                raise SigningError("the Vault token provider returned no token")
            if "\r" in token or "\n" in token:
                raise SigningError("the Vault token contains a line break")
            self.last_token = token
            r.headers["X-Vault-Token"] = token
            return r

        def __repr__(self) -> str:
            return "VaultTokenAuth(***)"

    return _VaultTokenAuth()


def _b64decode_any(text: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    return base64.b64decode(cleaned, validate=True)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _vault_errors(exc: APIError, secrets: list[str]) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("errors"), list) and body["errors"]:
        text = "; ".join(str(item) for item in body["errors"])
    else:
        text = str(exc)
    return redact_text(text, secrets)[:500]


class VaultTransitSigner:
    """A :class:`~d4h_sdk.identity.signing.Signer` backed by a HashiCorp Vault Transit key.

    The constructor reads the key (``GET /v1/<mount>/keys/<name>``) to learn its type and the public key of
    the pinned version; with no ``key_version`` it pins the latest version for the signer's lifetime (logged
    at INFO), so a rotation in Vault never makes the signer sign with a key the DID document does not list.

    Args:
        url: The Vault address (``https://vault.example:8200``).
        key_name: The Transit key name.
        token: A Vault token, or a callable returning one (called for every request, so it may refresh).
        mount: The Transit mount path.
        key_version: The key version to sign with (default: the latest, pinned at construction).
        algorithm: The JOSE algorithm; must fit the key type (RSA: ``PS256`` by default, ``RS256`` etc.).
        key_id: The DID URL of the key, used as JOSE ``kid``.
        namespace: A Vault Enterprise namespace (``X-Vault-Namespace``).
        http: The HTTP client to use (default: a new one, closed by :meth:`close`).

    Raises:
        ConfigurationError: Invalid options, an unsupported key type, an unknown version or an algorithm
            that does not fit the key.
        SigningError: Vault could not be reached or refused to return the key.
    """

    def __init__(
        self,
        url: str,
        key_name: str,
        *,
        token: str | Callable[[], str],
        mount: str = "transit",
        key_version: int | None = None,
        algorithm: str | None = None,
        key_id: str,
        namespace: str | None = None,
        http: HttpClient | None = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigurationError("url must be the http(s) address of Vault")
        for label, value in (("key_name", key_name), ("mount", mount), ("key_id", key_id)):
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(f"{label} must be a non-empty string")
        if not callable(token) and (not isinstance(token, str) or not token.strip()):
            raise ConfigurationError("token must be a Vault token or a callable returning one")
        if key_version is not None and (not isinstance(key_version, int) or key_version < 1):
            raise ConfigurationError("key_version must be a positive integer")
        self._base = f"{url.rstrip('/')}/v1/{mount.strip('/')}"
        self._url = url.rstrip("/")
        self._key_name = key_name
        self._mount = mount.strip("/")
        self._key_id = key_id
        self._token = token
        self._auth = _token_auth(token)
        self._headers = {"X-Vault-Namespace": namespace} if namespace else {}
        if http is None:
            from d4h_sdk._http import HttpClient

            http = HttpClient()
            self._owns_http = True
        else:
            self._owns_http = False
        self._http = http
        self._key_type, self._key_version, self._public = self._read_key(key_version)
        allowed = KEY_TYPE_ALGORITHMS[self._key_type]
        chosen = algorithm if algorithm is not None else allowed[0]
        if chosen not in allowed:
            raise ConfigurationError(
                f"algorithm {chosen!r} does not fit Vault key type {self._key_type}; "
                f"use one of {list(allowed)}"
            )
        self._algorithm = chosen
        self._public.update({"kid": key_id, "alg": chosen})

    # -- Vault calls -------------------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        sent = str(getattr(self._auth, "last_token", ""))
        return [t for t in (sent, self._token if isinstance(self._token, str) else "") if t]

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        url = f"{self._base}/{path}"
        try:
            response = self._http.request(method, url, json=body, headers=self._headers, auth=self._auth)
            payload = response.json()
        except APIError as exc:
            raise SigningError(
                f"Vault {method} {path} failed: {_vault_errors(exc, self._secrets())}"
            ) from exc
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, Mapping):
            raise SigningError(f"Vault {method} {path}: the response has no 'data' object")
        return data

    def _read_key(self, pinned: int | None) -> tuple[str, int, dict[str, Any]]:
        data = self._call("GET", f"keys/{quote(self._key_name, safe='')}")
        key_type = data.get("type")
        if key_type not in KEY_TYPE_ALGORITHMS:
            raise ConfigurationError(
                f"Vault key {self._key_name!r} has type {key_type!r}; signing needs one of "
                f"{sorted(KEY_TYPE_ALGORITHMS)}"
            )
        if data.get("supports_signing") is False:
            raise ConfigurationError(f"Vault key {self._key_name!r} does not support signing")
        versions = data.get("keys")
        if not isinstance(versions, Mapping) or not versions:
            raise SigningError(f"Vault key {self._key_name!r}: the response lists no key versions")
        if pinned is None:
            latest = data.get("latest_version")
            if not isinstance(latest, int):
                latest = max(int(v) for v in versions)
            pinned = latest
            logger.info("Vault key %s/%s pinned to version %d", self._mount, self._key_name, pinned)
        entry = versions.get(str(pinned))
        if entry is None:
            raise ConfigurationError(
                f"Vault key {self._key_name!r} has no version {pinned}; "
                f"available: {sorted(versions, key=int)}"
            )
        public_key = entry.get("public_key") if isinstance(entry, Mapping) else entry
        if not isinstance(public_key, str) or not public_key:
            raise SigningError(f"Vault key {self._key_name!r} version {pinned}: no public key returned")
        return str(key_type), pinned, _public_jwk(str(key_type), public_key)

    # -- the Signer protocol -----------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The DID URL of the key, used as JOSE ``kid``."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm."""
        return self._algorithm

    @property
    def key_version(self) -> int:
        """The pinned Transit key version."""
        return self._key_version

    def public_jwk(self) -> dict[str, Any]:
        """The public key of the pinned version as a JWK, with ``kid`` and ``alg``."""
        return dict(self._public)

    def _sign_request(self, data: bytes) -> dict[str, Any]:
        alg = self._algorithm
        body: dict[str, Any] = {
            "input": base64.b64encode(data).decode("ascii"),
            "key_version": self._key_version,
        }
        if alg in ECDSA_COMPONENT_SIZES:
            body.update(hash_algorithm=_HASHES[alg[-3:]], marshaling_algorithm="jws")
        elif alg.startswith("PS"):
            body.update(hash_algorithm=_HASHES[alg[-3:]], signature_algorithm="pss", salt_length="hash")
        elif alg.startswith("RS"):
            body.update(hash_algorithm=_HASHES[alg[-3:]], signature_algorithm="pkcs1v15")
        return body

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with the pinned key version (``POST /v1/<mount>/sign/<name>``).

        Args:
            data: The JWS signing input.

        Returns:
            The JOSE signature (ECDSA as raw ``r || s``).

        Raises:
            SigningError: Vault failed or refused, or returned a signature of another key version or of the
                wrong form.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SigningError(f"data to sign must be bytes, not {type(data).__name__}")
        result = self._call("POST", f"sign/{quote(self._key_name, safe='')}", self._sign_request(bytes(data)))
        signature = result.get("signature")
        if not isinstance(signature, str):
            raise SigningError("Vault sign: the response has no signature")
        prefix, _, encoded = signature.rpartition(":")
        scheme, _, version = prefix.partition(":v")
        if scheme != "vault" or not version.isdigit():
            raise SigningError("Vault sign: the signature is not of the form vault:v<N>:<signature>")
        if int(version) != self._key_version:
            raise SigningError(
                f"Vault signed with key version {version}, but version {self._key_version} is pinned"
            )
        try:
            raw = _b64decode_any(encoded)
        except (binascii.Error, ValueError) as exc:
            raise SigningError("Vault sign: the signature is not valid base64") from exc
        return self._jose(raw)

    def _jose(self, raw: bytes) -> bytes:
        alg = self._algorithm
        size = ECDSA_COMPONENT_SIZES.get(alg)
        if size is None:
            return raw
        if len(raw) == 2 * size:
            return raw
        if raw[:1] == b"\x30":  # a server that ignored marshaling_algorithm=jws answered DER
            return ecdsa_der_to_jose(raw, alg)
        raise SigningError(f"Vault returned a {len(raw)}-byte {alg} signature; expected {2 * size} bytes")

    def close(self) -> None:
        """Close the HTTP client if the signer created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> VaultTransitSigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VaultTransitSigner(url={self._url!r}, mount={self._mount!r}, key_name={self._key_name!r}, "
            f"key_version={getattr(self, '_key_version', None)}, "
            f"algorithm={getattr(self, '_algorithm', None)!r}, key_id={self._key_id!r})"
        )


def _public_jwk(key_type: str, public_key: str) -> dict[str, Any]:
    """Turn the public key Vault returns (PEM for EC/RSA, base64 raw bytes for ed25519) into a JWK."""
    if key_type == "ed25519":
        try:
            raw = _b64decode_any(public_key)
        except (binascii.Error, ValueError) as exc:
            raise SigningError("Vault returned an ed25519 public key that is not base64") from exc
        if len(raw) != 32:
            raise SigningError(f"Vault returned a {len(raw)}-byte ed25519 public key; expected 32")
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_public_key(public_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SigningError("Vault returned a public key that is not PEM") from exc
    if isinstance(key, ec.EllipticCurvePublicKey):
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(key.curve.name)
        nums = key.public_numbers()
        expected = {"ecdsa-p256": "P-256", "ecdsa-p384": "P-384", "ecdsa-p521": "P-521"}.get(key_type)
        if crv is None or crv != expected:
            raise SigningError(f"Vault returned a {key.curve.name} public key for a {key_type} key")
        return {
            "kty": "EC",
            "crv": crv,
            "x": _b64url(nums.x.to_bytes(size, "big")),
            "y": _b64url(nums.y.to_bytes(size, "big")),
        }
    if isinstance(key, rsa.RSAPublicKey) and key_type.startswith("rsa-"):
        nums_rsa = key.public_numbers()
        return {
            "kty": "RSA",
            "n": _b64url(nums_rsa.n.to_bytes((nums_rsa.n.bit_length() + 7) // 8, "big")),
            "e": _b64url(nums_rsa.e.to_bytes((nums_rsa.e.bit_length() + 7) // 8, "big")),
        }
    raise SigningError(f"Vault returned a {type(key).__name__} for a {key_type} key")


def create_vault_transit_signer(**options: Any) -> VaultTransitSigner:
    """Factory of the ``vault-transit`` backend (entry point ``vault-transit``).

    Args:
        **options: ``url``, ``key_name``, ``token``, ``key_id`` (required); ``mount``, ``key_version`` (an
            int or its text, as from ``D4H_SIGNER_KEY_VERSION``), ``algorithm``, ``namespace``, ``http``.

    Returns:
        The signer.

    Raises:
        ConfigurationError: Unknown or missing options.
        SigningError: Vault could not be reached or refused to return the key.
    """
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {sorted(unknown)} for signer 'vault-transit'; use {sorted(_OPTIONS)}"
        )
    missing = [name for name in ("url", "key_name", "token", "key_id") if not options.get(name)]
    if missing:
        raise ConfigurationError(f"signer 'vault-transit' needs option(s) {missing}")
    version = options.get("key_version")
    if isinstance(version, str):
        if not version.strip().isdigit():
            raise ConfigurationError("key_version must be a positive integer")
        version = int(version)
    return VaultTransitSigner(
        options["url"],
        options["key_name"],
        token=options["token"],
        mount=options.get("mount") or "transit",
        key_version=version,
        algorithm=options.get("algorithm"),
        key_id=options["key_id"],
        namespace=options.get("namespace"),
        http=options.get("http"),
    )
