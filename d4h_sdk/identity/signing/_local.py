"""The ``local`` backend: a private key held in process memory (JWK, PEM or a key file), plus key generation.

``cryptography`` (and ``jwcrypto`` to read JWKs) are imported on first use, never when this module is
imported. The private key never appears in ``repr``, ``str``, logs or exception texts.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing._der import ECDSA_COMPONENT_SIZES, ecdsa_der_to_jose

__all__ = ["KEY_KINDS", "LocalKeySigner", "create_local_signer", "generate_key"]

logger = logging.getLogger("d4h_sdk.identity.signing")

KEY_KINDS = ("Ed25519", "P-256", "P-384", "P-521", "RSA", "secp256k1")
"""Key kinds :func:`generate_key` creates."""

_CURVES = {  # cryptography curve name -> (JWK crv, JOSE alg)
    "secp256r1": ("P-256", "ES256"),
    "secp384r1": ("P-384", "ES384"),
    "secp521r1": ("P-521", "ES512"),
    "secp256k1": ("secp256k1", "ES256K"),
}
_RSA_ALGS = ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512")
_EDDSA_ALGS = ("EdDSA", "Ed25519")
_MIN_RSA_BITS = 2048
_OPTIONS = frozenset({"jwk", "pem", "path", "password", "key_id", "algorithm"})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64url(value: int, size: int | None = None) -> str:
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return _b64url(value.to_bytes(length, "big"))


def _hash(algorithm: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    bits = algorithm.rstrip("K")[-3:]
    choices: dict[str, hashes.HashAlgorithm] = {
        "256": hashes.SHA256(),
        "384": hashes.SHA384(),
        "512": hashes.SHA512(),
    }
    return choices[bits]


def _password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    return password.encode("utf-8")


class LocalKeySigner:
    """A :class:`~d4h_sdk.identity.signing.Signer` over a private key held in memory.

    The algorithm follows the key: P-256 -> ES256, P-384 -> ES384, P-521 -> ES512, secp256k1 -> ES256K,
    Ed25519 -> EdDSA, RSA (2048 bits or more) -> PS256 by default (PS384, PS512, RS256, RS384, RS512 on
    request). ECDSA signatures come out in JOSE form (``r || s``).

    Args:
        jwk: A private JWK (with ``d``), as a plain mapping.
        key_id: The DID URL of the key, used as JOSE ``kid``; defaults to the JWK's ``kid``.
        algorithm: The JOSE algorithm; must fit the key (and the JWK's ``alg``, if any).

    Raises:
        ConfigurationError: The JWK is invalid or public, ``key_id`` is missing, or the algorithm does not
            fit the key.
    """

    __slots__ = ("_algorithm", "_key", "_key_id", "_public")

    def __init__(self, jwk: Mapping[str, Any], *, key_id: str | None = None, algorithm: str | None = None):
        if not isinstance(jwk, Mapping):
            raise ConfigurationError("jwk must be a mapping (a JWK as a dict)")
        if jwk.get("kty") not in ("EC", "OKP", "RSA"):
            raise ConfigurationError(
                f"unsupported key type (JWK kty {jwk.get('kty')!r}): use EC, OKP (Ed25519) or RSA"
            )
        if "d" not in jwk:
            raise ConfigurationError(
                "the JWK has no private member 'd': a LocalKeySigner needs a private key"
            )
        try:
            from jwcrypto import jwk as jwk_mod

            pem = jwk_mod.JWK(**dict(jwk)).export_to_pem(private_key=True, password=None)
        except Exception as exc:  # jwcrypto raises many types for malformed keys
            raise ConfigurationError(f"invalid private JWK ({type(exc).__name__})") from exc
        key = _load_pem(pem, None)
        jwk_alg = jwk.get("alg")
        if algorithm is not None and jwk_alg is not None and algorithm != jwk_alg:
            raise ConfigurationError(f"algorithm {algorithm!r} contradicts the JWK's alg {jwk_alg!r}")
        kid = key_id if key_id is not None else jwk.get("kid")
        self._setup(key, kid, algorithm if algorithm is not None else jwk_alg)

    @classmethod
    def _from_key(cls, key: Any, *, key_id: str | None, algorithm: str | None) -> LocalKeySigner:
        signer = cls.__new__(cls)
        signer._setup(key, key_id, algorithm)
        return signer

    def _setup(self, key: Any, key_id: object, algorithm: object) -> None:
        if not isinstance(key_id, str) or not key_id:
            raise ConfigurationError(
                "key_id is required: pass the DID URL of the key (did:web:example.org#key-1) "
                "or give the JWK a 'kid'"
            )
        if algorithm is not None and not isinstance(algorithm, str):
            raise ConfigurationError("algorithm must be a JOSE algorithm name such as 'ES256'")
        public, default_algs = _describe(key)
        chosen = algorithm if algorithm is not None else default_algs[0]
        if chosen not in default_algs:
            raise ConfigurationError(
                f"algorithm {chosen!r} does not fit a {public.get('crv', public['kty'])} key; "
                f"use one of {list(default_algs)}"
            )
        self._key = key
        self._key_id = key_id
        self._algorithm = chosen
        self._public = {**public, "kid": key_id, "alg": chosen}

    # -- constructors ------------------------------------------------------------------------------------

    @classmethod
    def from_jwk(
        cls, jwk: Mapping[str, Any], *, key_id: str | None = None, algorithm: str | None = None
    ) -> LocalKeySigner:
        """Create a signer from a private JWK (same as the constructor).

        Args:
            jwk: A private JWK mapping.
            key_id: The DID URL of the key; defaults to the JWK's ``kid``.
            algorithm: The JOSE algorithm (default: derived from the key).

        Returns:
            The signer.
        """
        return cls(jwk, key_id=key_id, algorithm=algorithm)

    @classmethod
    def from_pem(
        cls,
        pem: bytes | str,
        *,
        key_id: str,
        password: str | bytes | None = None,
        algorithm: str | None = None,
    ) -> LocalKeySigner:
        """Create a signer from a PEM private key (PKCS#8, SEC1 or PKCS#1; optionally encrypted).

        Args:
            pem: The PEM text.
            key_id: The DID URL of the key.
            password: The password of an encrypted PEM.
            algorithm: The JOSE algorithm (default: derived from the key).

        Returns:
            The signer.

        Raises:
            ConfigurationError: The PEM is invalid, the password is missing or wrong, or the key type is
                unsupported.
        """
        data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
        return cls._from_key(_load_pem(data, _password_bytes(password)), key_id=key_id, algorithm=algorithm)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        key_id: str | None = None,
        password: str | bytes | None = None,
        algorithm: str | None = None,
    ) -> LocalKeySigner:
        """Create a signer from a key file holding a private JWK (JSON) or a PEM private key.

        A file readable by group or others is accepted but logged at WARNING.

        Args:
            path: The file.
            key_id: The DID URL of the key (optional for a JWK with ``kid``).
            password: The password of an encrypted PEM.
            algorithm: The JOSE algorithm (default: derived from the key).

        Returns:
            The signer.

        Raises:
            ConfigurationError: The file cannot be read or holds no usable private key.
        """
        file = Path(path)
        try:
            data = file.read_bytes()
            mode = file.stat().st_mode
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read key file {file}: {exc.strerror or type(exc).__name__}"
            ) from exc
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning("key file %s is accessible by group or others; restrict it to its owner", file)
        if data.lstrip().startswith(b"{"):
            if password is not None:
                raise ConfigurationError("password applies to PEM files, not to a JWK file")
            try:
                jwk = json.loads(data)
            except ValueError as exc:
                raise ConfigurationError(f"key file {file} is not valid JSON") from exc
            if not isinstance(jwk, dict):
                raise ConfigurationError(f"key file {file} does not hold a JWK object")
            return cls(jwk, key_id=key_id, algorithm=algorithm)
        if key_id is None:
            raise ConfigurationError("key_id is required for a PEM key file: pass the DID URL of the key")
        return cls.from_pem(data, key_id=key_id, password=password, algorithm=algorithm)

    # -- the Signer protocol -----------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The DID URL of the key, used as JOSE ``kid``."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm."""
        return self._algorithm

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK, with ``kid`` (the key id) and ``alg``."""
        return dict(self._public)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` and return the JOSE signature (ECDSA as raw ``r || s``).

        Args:
            data: The JWS signing input.

        Returns:
            The signature.

        Raises:
            SigningError: ``data`` is not bytes, or the key failed to sign.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SigningError(f"data to sign must be bytes, not {type(data).__name__}")
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        alg = self._algorithm
        payload = bytes(data)
        try:
            if alg in ECDSA_COMPONENT_SIZES:
                return ecdsa_der_to_jose(self._key.sign(payload, ec.ECDSA(_hash(alg))), alg)
            if alg in _EDDSA_ALGS:
                return bytes(self._key.sign(payload))
            digest = _hash(alg)
            if alg.startswith("PS"):
                pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
                return bytes(self._key.sign(payload, pss, digest))
            return bytes(self._key.sign(payload, padding.PKCS1v15(), digest))
        except (ValueError, TypeError) as exc:
            raise SigningError(f"local key {self._key_id} failed to sign ({type(exc).__name__})") from exc

    # -- export ------------------------------------------------------------------------------------------

    def private_jwk(self) -> dict[str, Any]:
        """Export the private key as a JWK (with ``kid`` and ``alg``). Handle the result as a secret.

        Returns:
            The private JWK.
        """
        return {**self._public, **_private_members(self._key)}

    def private_pem(self, password: str | bytes | None = None) -> bytes:
        """Export the private key as PKCS#8 PEM, encrypted when a password is given.

        Args:
            password: Encrypts the PEM (best available encryption) when given.

        Returns:
            The PEM bytes.
        """
        from cryptography.hazmat.primitives import serialization

        secret = _password_bytes(password)
        encryption: Any = (
            serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
        )
        return bytes(
            self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        )

    def __repr__(self) -> str:
        return f"LocalKeySigner(key_id={self._key_id!r}, algorithm={self._algorithm!r})"

    __str__ = __repr__


def _load_pem(data: bytes, password: bytes | None) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:
        hint = "it is encrypted: pass password=" if password is None else "it is not encrypted: omit password"
        raise ConfigurationError(f"cannot load the PEM private key: {hint}") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigurationError(
            "cannot load the PEM private key: not a PEM private key, wrong password or unsupported key type"
        ) from exc


def _describe(key: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The public JWK members of a private key and the JOSE algorithms it allows (default first)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        found = _CURVES.get(key.curve.name)
        if found is None:
            raise ConfigurationError(f"unsupported elliptic curve {key.curve.name}")
        crv, alg = found
        numbers = key.public_key().public_numbers()
        size = ECDSA_COMPONENT_SIZES[alg]
        jwk = {"kty": "EC", "crv": crv, "x": _int_b64url(numbers.x, size), "y": _int_b64url(numbers.y, size)}
        return jwk, (alg,)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}, _EDDSA_ALGS
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < _MIN_RSA_BITS:
            raise ConfigurationError(f"RSA keys need at least {_MIN_RSA_BITS} bits, got {key.key_size}")
        pub = key.public_key().public_numbers()
        return {"kty": "RSA", "n": _int_b64url(pub.n), "e": _int_b64url(pub.e)}, _RSA_ALGS
    raise ConfigurationError(
        f"unsupported key type {type(key).__name__}: use EC (P-256, P-384, P-521, secp256k1), Ed25519 or RSA"
    )


def _private_members(key: Any) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        return {"d": _int_b64url(key.private_numbers().private_value, size)}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return {"d": _b64url(raw)}
    nums = key.private_numbers()
    return {
        "d": _int_b64url(nums.d),
        "p": _int_b64url(nums.p),
        "q": _int_b64url(nums.q),
        "dp": _int_b64url(nums.dmp1),
        "dq": _int_b64url(nums.dmq1),
        "qi": _int_b64url(nums.iqmp),
    }


def generate_key(
    kind: str, *, key_id: str, algorithm: str | None = None, rsa_bits: int = 2048
) -> LocalKeySigner:
    """Generate a new private key in memory and return its signer.

    Args:
        kind: ``P-256``, ``P-384``, ``P-521``, ``secp256k1``, ``Ed25519`` or ``RSA``.
        key_id: The DID URL the key will be published under.
        algorithm: The JOSE algorithm (default: derived from the key; RSA: PS256).
        rsa_bits: Modulus size for RSA (2048 or more).

    Returns:
        The signer; export the key with :meth:`LocalKeySigner.private_pem` or
        :meth:`LocalKeySigner.private_jwk`.

    Raises:
        ConfigurationError: Unknown kind, RSA size too small, or an algorithm that does not fit.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    curves: dict[str, ec.EllipticCurve] = {
        "P-256": ec.SECP256R1(),
        "P-384": ec.SECP384R1(),
        "P-521": ec.SECP521R1(),
        "secp256k1": ec.SECP256K1(),
    }
    key: Any
    if kind in curves:
        key = ec.generate_private_key(curves[kind])
    elif kind == "Ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif kind == "RSA":
        if rsa_bits < _MIN_RSA_BITS:
            raise ConfigurationError(f"RSA keys need at least {_MIN_RSA_BITS} bits, got {rsa_bits}")
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    else:
        raise ConfigurationError(f"unknown key kind {kind!r}; use one of {list(KEY_KINDS)}")
    return LocalKeySigner._from_key(key, key_id=key_id, algorithm=algorithm)


def create_local_signer(**options: Any) -> LocalKeySigner:
    """Factory of the ``local`` backend (entry point ``local``).

    Args:
        **options: Exactly one of ``jwk`` (a mapping or its JSON text), ``pem`` (text or bytes) or ``path``
            (a JWK JSON or PEM file); plus ``key_id``, ``password`` and ``algorithm``.

    Returns:
        The signer.

    Raises:
        ConfigurationError: Unknown or contradictory options, or an unusable key.
    """
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {sorted(unknown)} for signer 'local'; use {sorted(_OPTIONS)}"
        )
    sources = [name for name in ("jwk", "pem", "path") if options.get(name) is not None]
    if len(sources) != 1:
        raise ConfigurationError("signer 'local' needs exactly one of jwk=, pem= or path=")
    key_id = options.get("key_id")
    algorithm = options.get("algorithm")
    password = options.get("password")
    if sources == ["jwk"]:
        jwk = options["jwk"]
        if isinstance(jwk, str):
            try:
                jwk = json.loads(jwk)
            except ValueError as exc:
                raise ConfigurationError("jwk= is not valid JSON") from exc
        if password is not None:
            raise ConfigurationError("password applies to pem= and path=, not to jwk=")
        return LocalKeySigner(jwk, key_id=key_id, algorithm=algorithm)
    if sources == ["pem"]:
        if key_id is None:
            raise ConfigurationError("key_id is required with pem=: pass the DID URL of the key")
        return LocalKeySigner.from_pem(options["pem"], key_id=key_id, password=password, algorithm=algorithm)
    return LocalKeySigner.from_file(options["path"], key_id=key_id, password=password, algorithm=algorithm)
