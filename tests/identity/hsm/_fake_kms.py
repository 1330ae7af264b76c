"""An in-memory stand-in for a boto3 KMS client (the ``client=`` seam) with KMS's documented semantics.

moto signs ``MessageType=DIGEST`` messages as if they were RAW (it hashes them again) and uses maximum-length
PSS salts, so its signatures cannot be checked with a JOSE verifier; this fake follows the KMS API reference:
DIGEST means "already hashed", PSS salt = hash length, ECDSA answers DER, Ed25519 signs RAW only.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils

from ._fake_azure import rsa_key

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


class LocalKms:
    """Holds one key under ``arn``; ``fail_sign`` makes ``sign`` answer a KMS error."""

    def __init__(self, arn: str, key_spec: str, *, fail_sign: bool = False) -> None:
        self.arn = arn
        self.key_spec = key_spec
        self.fail_sign = fail_sign
        self.private: Any
        if key_spec == "ECC_NIST_P256":
            self.private, self.algorithms = ec.generate_private_key(ec.SECP256R1()), ["ECDSA_SHA_256"]
        elif key_spec == "ECC_NIST_P384":
            self.private, self.algorithms = ec.generate_private_key(ec.SECP384R1()), ["ECDSA_SHA_384"]
        elif key_spec == "ECC_NIST_EDWARDS25519":
            self.private = ed25519.Ed25519PrivateKey.generate()
            self.algorithms = ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
        elif key_spec == "RSA_2048":
            self.private = rsa_key()
            self.algorithms = [
                f"RSASSA_{kind}_SHA_{bits}" for kind in ("PSS", "PKCS1_V1_5") for bits in _HASHES
            ]
        else:
            raise ValueError(key_spec)

    def _check_key(self, key_id: str, operation: str) -> None:
        if key_id != self.arn:
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no such key"}}, operation)

    def get_public_key(self, *, KeyId: str) -> dict[str, Any]:  # noqa: N803 (boto3 parameter names)
        self._check_key(KeyId, "GetPublicKey")
        spki = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "KeyId": self.arn,
            "PublicKey": spki,
            "KeySpec": self.key_spec,
            "KeyUsage": "SIGN_VERIFY",
            "SigningAlgorithms": list(self.algorithms),
        }

    def sign(self, *, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, Any]:  # noqa: N803
        self._check_key(KeyId, "Sign")
        if self.fail_sign:
            raise ClientError({"Error": {"Code": "KMSInternalException", "Message": "try again"}}, "Sign")
        if SigningAlgorithm not in self.algorithms:
            raise ClientError(
                {"Error": {"Code": "InvalidKeyUsageException", "Message": SigningAlgorithm}}, "Sign"
            )
        if SigningAlgorithm == "ED25519_SHA_512":
            assert MessageType == "RAW" and len(Message) <= 4096
            return {
                "KeyId": self.arn,
                "Signature": self.private.sign(Message),
                "SigningAlgorithm": SigningAlgorithm,
            }
        hash_cls = _HASHES[SigningAlgorithm[-3:]]
        assert MessageType == "DIGEST" and len(Message) == hash_cls.digest_size
        prehashed = utils.Prehashed(hash_cls())
        if SigningAlgorithm.startswith("ECDSA"):
            signature = self.private.sign(Message, ec.ECDSA(prehashed))
        elif SigningAlgorithm.startswith("RSASSA_PSS"):
            pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
            signature = self.private.sign(Message, pss, prehashed)
        else:
            signature = self.private.sign(Message, padding.PKCS1v15(), prehashed)
        return {"KeyId": self.arn, "Signature": signature, "SigningAlgorithm": SigningAlgorithm}
