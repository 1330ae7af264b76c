"""A :class:`~d4h_sdk.identity.signing.Signer` backed by an asymmetric AWS KMS key.

Needs the ``[aws]`` extra (boto3), imported on first use. The public key comes from ``GetPublicKey``
(SPKI DER) and fixes the algorithm. ECDSA and RSA keys are sent the SHA-2 digest with
``MessageType=DIGEST`` (no size limit); KMS answers ECDSA in DER, converted here to the raw ``r||s`` JOSE
form. Ed25519 keys (``ECC_NIST_EDWARDS25519``) sign with ``ED25519_SHA_512`` over the RAW message, which
KMS caps at 4096 bytes (``ED25519_PH_SHA_512`` is HashEdDSA, which JOSE ``EdDSA`` verifiers reject).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing._der import ecdsa_der_to_jose

__all__ = ["AwsKmsSigner", "create_aws_kms_signer"]

MAX_RAW_MESSAGE = 4096
"""Largest message AWS KMS signs with ``MessageType=RAW`` (the only mode for Ed25519 keys)."""


@dataclass(frozen=True)
class _Spec:
    kms_algorithm: str
    hash_name: str | None  # None: RAW message (Ed25519)
    coordinate_size: int  # ECDSA: bytes per coordinate; 0 otherwise


_JOSE: Mapping[str, _Spec] = {
    "ES256": _Spec("ECDSA_SHA_256", "sha256", 32),
    "ES256K": _Spec("ECDSA_SHA_256", "sha256", 32),
    "ES384": _Spec("ECDSA_SHA_384", "sha384", 48),
    "ES512": _Spec("ECDSA_SHA_512", "sha512", 66),
    "PS256": _Spec("RSASSA_PSS_SHA_256", "sha256", 0),
    "PS384": _Spec("RSASSA_PSS_SHA_384", "sha384", 0),
    "PS512": _Spec("RSASSA_PSS_SHA_512", "sha512", 0),
    "RS256": _Spec("RSASSA_PKCS1_V1_5_SHA_256", "sha256", 0),
    "RS384": _Spec("RSASSA_PKCS1_V1_5_SHA_384", "sha384", 0),
    "RS512": _Spec("RSASSA_PKCS1_V1_5_SHA_512", "sha512", 0),
    "EdDSA": _Spec("ED25519_SHA_512", None, 0),
}
_RSA_ALGORITHMS = ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512")
# KMS KeySpec -> the JOSE algorithms it can serve (the first is the default).
_KEY_SPECS: Mapping[str, tuple[str, ...]] = {
    "ECC_NIST_P256": ("ES256",),
    "ECC_NIST_P384": ("ES384",),
    "ECC_NIST_P521": ("ES512",),
    "ECC_SECG_P256K1": ("ES256K",),
    "ECC_NIST_EDWARDS25519": ("EdDSA",),
    "RSA_2048": _RSA_ALGORITHMS,
    "RSA_3072": _RSA_ALGORITHMS,
    "RSA_4096": _RSA_ALGORITHMS,
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _public_jwk(spki_der: bytes) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        key = serialization.load_der_public_key(spki_der)
    except ValueError as exc:
        raise SigningError("AWS KMS returned a public key that is not valid SPKI DER") from exc
    if isinstance(key, ec.EllipticCurvePublicKey):
        names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp256k1": "secp256k1"}
        crv = names.get(key.curve.name)
        if crv is None:
            raise SigningError(f"AWS KMS key is on an unsupported curve {key.curve.name}")
        size = (key.curve.key_size + 7) // 8
        numbers = key.public_numbers()
        return {
            "kty": "EC",
            "crv": crv,
            "x": _b64url(numbers.x.to_bytes(size, "big")),
            "y": _b64url(numbers.y.to_bytes(size, "big")),
        }
    if isinstance(key, rsa.RSAPublicKey):
        rsa_numbers = key.public_numbers()
        n, e = rsa_numbers.n, rsa_numbers.e
        return {
            "kty": "RSA",
            "n": _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big")),
            "e": _b64url(e.to_bytes((e.bit_length() + 7) // 8, "big")),
        }
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    raise SigningError(f"AWS KMS returned an unsupported public key type {type(key).__name__}")


def _botocore_errors() -> Any:
    import botocore.exceptions  # type: ignore[import-untyped]

    return botocore.exceptions


class AwsKmsSigner:
    """Signs with an asymmetric AWS KMS key (``KeyUsage=SIGN_VERIFY``); the key never leaves KMS.

    ``GetPublicKey`` runs at construction, so a wrong key, region or credential fails early.

    Args:
        key_id_arn: The KMS key: key ARN, key id, alias name or alias ARN (a full key ARN is best).
        key_id: The DID URL of the key, used as the JOSE ``kid``.
        algorithm: The JOSE algorithm; derived from the key spec when omitted (``ECC_NIST_P256`` ``ES256``,
            ``ECC_NIST_P384`` ``ES384``, ``ECC_NIST_P521`` ``ES512``, ``ECC_SECG_P256K1`` ``ES256K``,
            ``ECC_NIST_EDWARDS25519`` ``EdDSA``, ``RSA_*`` ``PS256``; RSA keys also take ``PS384``,
            ``PS512`` and ``RS256``/``RS384``/``RS512``).
        client: A boto3 KMS client; by default one is created with boto3's usual credential chain.
        region: The AWS region for the default client (ignored when ``client`` is given).

    Raises:
        ConfigurationError: An option is missing, the key cannot sign, or the algorithm does not fit it.
        SigningError: boto3 is missing or ``GetPublicKey`` failed.
    """

    def __init__(
        self,
        key_id_arn: str,
        *,
        key_id: str,
        algorithm: str | None = None,
        client: Any = None,
        region: str | None = None,
    ) -> None:
        if not isinstance(key_id_arn, str) or not key_id_arn:
            raise ConfigurationError("AwsKmsSigner needs the KMS key ARN or id as key_id_arn")
        if not isinstance(key_id, str) or not key_id:
            raise ConfigurationError("AwsKmsSigner needs key_id, the DID URL of the key")
        if algorithm is not None and algorithm not in _JOSE:
            raise ConfigurationError(
                f"algorithm {algorithm!r} is not supported with AWS KMS; use one of {sorted(_JOSE)}"
            )
        self._arn = key_id_arn
        self._key_id = key_id
        self._client = client if client is not None else self._default_client(region)
        answer = self._call("GetPublicKey", KeyId=key_id_arn)
        usage = answer.get("KeyUsage")
        if usage is not None and usage != "SIGN_VERIFY":
            raise ConfigurationError(f"AWS KMS key {key_id_arn} has KeyUsage {usage}; it must be SIGN_VERIFY")
        key_spec = str(answer.get("KeySpec") or answer.get("CustomerMasterKeySpec") or "")
        choices = _KEY_SPECS.get(key_spec)
        if choices is None:
            raise ConfigurationError(
                f"AWS KMS key {key_id_arn} has KeySpec {key_spec or 'unknown'}, which cannot sign JWS; "
                f"use one of {sorted(_KEY_SPECS)}"
            )
        chosen = algorithm or choices[0]
        if chosen not in choices:
            raise ConfigurationError(
                f"algorithm {chosen!r} does not fit AWS KMS key {key_id_arn} ({key_spec}); "
                f"use one of {list(choices)}"
            )
        self._algorithm = chosen
        self._spec = _JOSE[chosen]
        offered = answer.get("SigningAlgorithms")
        if offered and self._spec.kms_algorithm not in offered:
            raise ConfigurationError(
                f"AWS KMS key {key_id_arn} does not offer {self._spec.kms_algorithm} (offers {list(offered)})"
            )
        self._jwk = _public_jwk(bytes(answer["PublicKey"]))

    @property
    def key_id(self) -> str:
        """The DID URL of the key (the JOSE ``kid``)."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm: ``ES256``, ``ES384``, ``ES512``, ``ES256K``, ``EdDSA``, ``PS256``, ..."""
        return self._algorithm

    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as a JWK (public members only), from ``GetPublicKey``."""
        return dict(self._jwk)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the JWS signing input) with KMS ``Sign``.

        Args:
            data: The bytes to sign.

        Returns:
            The JOSE signature (ECDSA: raw ``r||s``).

        Raises:
            SigningError: KMS refused or failed, or an Ed25519 input exceeds 4096 bytes.
        """
        spec = self._spec
        if spec.hash_name is None:
            if len(data) > MAX_RAW_MESSAGE:
                raise SigningError(
                    f"AWS KMS signs at most {MAX_RAW_MESSAGE} bytes with an Ed25519 key, got {len(data)}; "
                    "use an ECDSA or RSA key for large tokens (KMS signs their digest)"
                )
            message, message_type = data, "RAW"
        else:
            message, message_type = hashlib.new(spec.hash_name, data).digest(), "DIGEST"
        answer = self._call(
            "Sign",
            KeyId=self._arn,
            Message=message,
            MessageType=message_type,
            SigningAlgorithm=spec.kms_algorithm,
        )
        signature = answer.get("Signature")
        if not isinstance(signature, (bytes, bytearray)):
            raise SigningError(f"AWS KMS Sign for key {self._arn} returned no signature")
        if spec.coordinate_size:
            return ecdsa_der_to_jose(bytes(signature), self._algorithm)
        return bytes(signature)

    def __repr__(self) -> str:
        return f"AwsKmsSigner(key_id={self._key_id!r}, algorithm={self._algorithm!r}, kms_key={self._arn!r})"

    @staticmethod
    def _default_client(region: str | None) -> Any:
        try:
            import boto3  # type: ignore[import-untyped]
        except ImportError as exc:
            raise SigningError("the AWS KMS signer needs boto3: pip install 'd4h-sdk[aws]'") from exc
        try:
            return boto3.client("kms", region_name=region)
        except _botocore_errors().BotoCoreError as exc:
            raise SigningError(
                f"cannot create an AWS KMS client ({type(exc).__name__}); pass region= or client="
            ) from exc

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        errors = _botocore_errors()
        method = "get_public_key" if operation == "GetPublicKey" else "sign"
        try:
            answer: dict[str, Any] = getattr(self._client, method)(**params)
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "unknown error")
            detail = error.get("Message", "")
            raise SigningError(
                f"AWS KMS {operation} for key {self._arn} failed: {code}{': ' + detail if detail else ''}"
            ) from exc
        except errors.BotoCoreError as exc:
            raise SigningError(f"AWS KMS {operation} for key {self._arn} failed: {exc}") from exc
        return answer


def create_aws_kms_signer(**options: Any) -> AwsKmsSigner:
    """Build an :class:`AwsKmsSigner` from keyword options (the ``aws-kms`` entry point).

    Args:
        **options: ``key_id_arn``, ``key_id`` and optionally ``algorithm``, ``client``, ``region``, as for
            :class:`AwsKmsSigner`.

    Returns:
        The signer, its public key already fetched.

    Raises:
        ConfigurationError: An option is missing or unknown.
        SigningError: KMS cannot be reached or refused ``GetPublicKey``.
    """
    allowed = {"key_id_arn", "key_id", "algorithm", "client", "region"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigurationError(f"unknown aws-kms signer options {unknown}; allowed: {sorted(allowed)}")
    missing = sorted({"key_id_arn", "key_id"} - set(options))
    if missing:
        raise ConfigurationError(f"the aws-kms signer needs the options {missing}")
    key_id_arn = options.pop("key_id_arn")
    return AwsKmsSigner(key_id_arn, **options)
