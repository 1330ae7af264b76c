"""A :class:`~d4h_sdk.identity.signing.Signer` backed by an Azure Key Vault (or Managed HSM) key.

Talks to the Key Vault REST API through :class:`~d4h_sdk._http.HttpClient`, with no Azure SDK dependency:

* ``GET {vault}/keys/{name}/{version}?api-version=...`` returns the public JWK (``kty`` ``EC``/``EC-HSM`` with
  ``crv``, or ``RSA``/``RSA-HSM``), which fixes the algorithm;
* ``POST {vault}/keys/{name}/{version}/sign?api-version=...`` with ``{"alg", "value": b64url(digest)}``
  answers ``{"kid", "value"}``; ECDSA signatures are already raw ``r||s`` (IEEE P1363).

Key Vault signs digests only, so the SDK hashes the JWS signing input itself. Ed25519 is not offered by Key
Vault. Authentication is a Microsoft Entra access token for the scope ``https://vault.azure.net/.default``,
given as a string or as a callable that returns a fresh one (token refresh stays with the caller).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import quote, urlsplit

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import APIError, ConfigurationError, SigningError

__all__ = ["AzureKeyVaultSigner", "create_azure_keyvault_signer"]

VAULT_SCOPE = "https://vault.azure.net/.default"
"""The Entra scope the access token must be issued for."""

_HASHES: Mapping[str, str] = {
    "ES256": "sha256",
    "ES256K": "sha256",
    "ES384": "sha384",
    "ES512": "sha512",
    "PS256": "sha256",
    "PS384": "sha384",
    "PS512": "sha512",
    "RS256": "sha256",
    "RS384": "sha384",
    "RS512": "sha512",
}
# Key Vault crv -> (JOSE crv, JOSE algorithm, bytes per coordinate)
_CURVES: Mapping[str, tuple[str, str, int]] = {
    "P-256": ("P-256", "ES256", 32),
    "P-256K": ("secp256k1", "ES256K", 32),
    "P-384": ("P-384", "ES384", 48),
    "P-521": ("P-521", "ES512", 66),
}
_RSA_ALGORITHMS = ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512")


def _b64url_decode(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise SigningError(f"Azure Key Vault returned no {what}")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SigningError(f"Azure Key Vault returned a {what} that is not base64url") from exc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class _BearerToken:
    """Adds ``Authorization: Bearer <token>`` to a request (``requests.auth.AuthBase``-compatible)."""

    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        try:
            token = self._token() if callable(self._token) else self._token
        except Exception as exc:
            raise SigningError(f"the Azure access token provider failed ({type(exc).__name__})") from exc
        if not isinstance(token, str) or not token:
            raise SigningError("the Azure access token provider returned no token")
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def __repr__(self) -> str:
        return "_BearerToken(***)"


class AzureKeyVaultSigner:
    """Signs with a key in Azure Key Vault; the key never leaves the vault.

    The key version is pinned, so the signatures always match the public key published in the DID document
    (a rotation creates a new version and needs a new signer). The key is read at construction, so a wrong
    name, version or token fails early.

    Args:
        vault_url: The vault, e.g. ``https://hospital.vault.azure.net`` (HTTPS; plain HTTP only for
            ``localhost``/``127.0.0.1``).
        key_name: The key name.
        key_version: The key version (the last segment of the key's ``kid``).
        key_id: The DID URL of the key, used as the JOSE ``kid``.
        token: An Entra access token for scope ``https://vault.azure.net/.default``, or a callable returning a
            current one (called for every request). Never logged nor put into error messages.
        algorithm: The JOSE algorithm; derived from the key when omitted (P-256 ``ES256``, P-256K ``ES256K``,
            P-384 ``ES384``, P-521 ``ES512``, RSA ``PS256``; RSA keys also take ``PS384``, ``PS512`` and
            ``RS256``/``RS384``/``RS512``).
        http: The HTTP client to use; by default the signer creates (and :meth:`close` closes) one.
        api_version: The Key Vault REST API version.

    Raises:
        ConfigurationError: An option is missing, the algorithm is ``EdDSA`` (not offered by Key Vault) or
            does not fit the key, or the key cannot sign.
        SigningError: The key cannot be read (HTTP error, authentication, unknown key or version).
    """

    def __init__(
        self,
        vault_url: str,
        key_name: str,
        *,
        key_version: str,
        key_id: str,
        token: str | Callable[[], str],
        algorithm: str | None = None,
        http: HttpClient | None = None,
        api_version: str = "7.4",
    ) -> None:
        for name, value in (
            ("vault_url", vault_url),
            ("key_name", key_name),
            ("key_version", key_version),
            ("key_id", key_id),
            ("api_version", api_version),
        ):
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"AzureKeyVaultSigner needs a non-empty {name}")
        if not (isinstance(token, str) and token) and not callable(token):
            raise ConfigurationError(
                "AzureKeyVaultSigner needs token= as a string or a callable returning one"
            )
        if algorithm == "EdDSA":
            raise ConfigurationError("Azure Key Vault does not offer Ed25519 keys; use an EC or RSA key")
        if algorithm is not None and algorithm not in _HASHES:
            raise ConfigurationError(
                f"algorithm {algorithm!r} is not supported with Azure Key Vault; use one of {sorted(_HASHES)}"
            )
        parts = urlsplit(vault_url)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ConfigurationError(f"vault_url must be an https:// URL, got {vault_url!r}")
        base = vault_url.rstrip("/")
        self._key_url = f"{base}/keys/{quote(key_name, safe='')}/{quote(key_version, safe='')}"
        self._params = {"api-version": api_version}
        self._key_id = key_id
        self._auth = _BearerToken(token)
        self._owns_http = http is None
        self._http = http if http is not None else HttpClient()
        try:
            body = self._request("GET", self._key_url, "read the key")
            self._jwk, self._algorithm, self._size = self._inspect(body, algorithm)
        except BaseException:
            self.close()
            raise

    @property
    def key_id(self) -> str:
        """The DID URL of the key (the JOSE ``kid``)."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm: ``ES256``, ``ES384``, ``ES512``, ``ES256K``, ``PS256``, ``RS256``, ..."""
        return self._algorithm

    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as a JWK (public members only, ``kty`` without the ``-HSM`` suffix)."""
        return dict(self._jwk)

    def sign(self, data: bytes) -> bytes:
        """Hash ``data`` (the JWS signing input) and have Key Vault sign the digest.

        Args:
            data: The bytes to sign.

        Returns:
            The JOSE signature (ECDSA: raw ``r||s``).

        Raises:
            SigningError: Key Vault refused or failed, or answered with a malformed signature.
        """
        digest = hashlib.new(_HASHES[self._algorithm], data).digest()
        body = self._request(
            "POST", f"{self._key_url}/sign", "sign", json={"alg": self._algorithm, "value": _b64url(digest)}
        )
        signature = _b64url_decode(body.get("value"), "signature")
        if len(signature) != self._size:
            raise SigningError(
                f"Azure Key Vault returned a {len(signature)}-byte {self._algorithm} signature; "
                f"expected {self._size}"
            )
        return signature

    def close(self) -> None:
        """Close the HTTP client if the signer created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AzureKeyVaultSigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AzureKeyVaultSigner(key_id={self._key_id!r}, key_url={self._key_url!r})"

    def _request(self, method: str, url: str, action: str, json: object = None) -> Mapping[str, Any]:
        try:
            response = self._http.request(
                method, url, params=self._params, json=json, auth=cast(Any, self._auth)
            )
            body = response.json()
        except APIError as exc:
            raise SigningError(f"Azure Key Vault could not {action} {self._key_url}: {exc}") from exc
        if not isinstance(body, Mapping):
            raise SigningError(f"Azure Key Vault answered {action} with a non-object body")
        return body

    def _inspect(self, body: Mapping[str, Any], algorithm: str | None) -> tuple[dict[str, Any], str, int]:
        key = body.get("key")
        if not isinstance(key, Mapping):
            raise SigningError(f"Azure Key Vault returned no key for {self._key_url}")
        ops = key.get("key_ops")
        if isinstance(ops, list) and "sign" not in ops:
            raise ConfigurationError(
                f"Azure Key Vault key {self._key_url} does not allow 'sign' (key_ops {ops})"
            )
        kty = str(key.get("kty", "")).removesuffix("-HSM")
        if kty == "EC":
            curve = _CURVES.get(str(key.get("crv")))
            if curve is None:
                raise ConfigurationError(
                    f"Azure Key Vault key {self._key_url} is on unsupported curve {key.get('crv')!r}"
                )
            crv, default, size = curve
            x = _b64url_decode(key.get("x"), "EC x coordinate")
            y = _b64url_decode(key.get("y"), "EC y coordinate")
            if len(x) != size or len(y) != size:
                raise SigningError(f"Azure Key Vault returned EC coordinates of the wrong size for {crv}")
            jwk: dict[str, Any] = {"kty": "EC", "crv": crv, "x": _b64url(x), "y": _b64url(y)}
            choices: tuple[str, ...] = (default,)
            signature_size = 2 * size
        elif kty == "RSA":
            n = _b64url_decode(key.get("n"), "RSA modulus").lstrip(b"\0")
            e = _b64url_decode(key.get("e"), "RSA exponent").lstrip(b"\0")
            jwk = {"kty": "RSA", "n": _b64url(n), "e": _b64url(e)}
            choices = _RSA_ALGORITHMS
            signature_size = len(n)
        elif kty == "OKP":
            raise ConfigurationError(
                "Azure Key Vault does not sign with Ed25519 (OKP) keys; use an EC or RSA key"
            )
        else:
            raise ConfigurationError(
                f"Azure Key Vault key {self._key_url} has type {kty or 'unknown'!r}, which cannot sign JWS"
            )
        chosen = algorithm or choices[0]
        if chosen not in choices:
            raise ConfigurationError(
                f"algorithm {chosen!r} does not fit Azure Key Vault key {self._key_url}; "
                f"use one of {list(choices)}"
            )
        return jwk, chosen, signature_size


def create_azure_keyvault_signer(**options: Any) -> AzureKeyVaultSigner:
    """Build an :class:`AzureKeyVaultSigner` from keyword options (entry point ``azure-keyvault``).

    Args:
        **options: ``vault_url``, ``key_name``, ``key_version``, ``key_id``, ``token`` and optionally
            ``algorithm``, ``http``, ``api_version``, as for :class:`AzureKeyVaultSigner`.

    Returns:
        The signer, its public key already read.

    Raises:
        ConfigurationError: An option is missing or unknown.
        SigningError: The key cannot be read.
    """
    required = {"vault_url", "key_name", "key_version", "key_id", "token"}
    allowed = required | {"algorithm", "http", "api_version"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigurationError(
            f"unknown azure-keyvault signer options {unknown}; allowed: {sorted(allowed)}"
        )
    missing = sorted(required - set(options))
    if missing:
        raise ConfigurationError(f"the azure-keyvault signer needs the options {missing}")
    vault_url = options.pop("vault_url")
    key_name = options.pop("key_name")
    return AzureKeyVaultSigner(vault_url, key_name, **options)
