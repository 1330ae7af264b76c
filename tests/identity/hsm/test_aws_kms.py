"""AwsKmsSigner: moto for the KMS API surface, botocore Stubber with real keys for exact wire shapes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from botocore.stub import Stubber  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils  # noqa: E402
from jwcrypto.jwk import JWK  # noqa: E402

from d4h_sdk.errors import ConfigurationError, SigningError  # noqa: E402
from d4h_sdk.identity.signing import Signer  # noqa: E402
from d4h_sdk.identity.signing._aws_kms import AwsKmsSigner, create_aws_kms_signer  # noqa: E402
from d4h_sdk.identity.signing._der import jose_to_ecdsa_der  # noqa: E402

from ._jws import sign_and_verify, signing_input  # noqa: E402

KID = "did:web:hospital.example#kms-1"
REGION = "eu-central-1"
ARN = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def kms(aws_env: None) -> Iterator[Any]:
    with moto.mock_aws():
        yield boto3.client("kms", region_name=REGION)


def _create(kms: Any, spec: str, usage: str = "SIGN_VERIFY") -> str:
    return str(kms.create_key(KeyUsage=usage, KeySpec=spec)["KeyMetadata"]["Arn"])


# -- moto: GetPublicKey, key specs, Sign/Verify round trip ------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm", "kms_algorithm", "size"),
    [
        ("ECC_NIST_P256", "ES256", "ECDSA_SHA_256", 64),
        ("ECC_NIST_P384", "ES384", "ECDSA_SHA_384", 96),
        ("ECC_NIST_P521", "ES512", "ECDSA_SHA_512", 132),
        ("ECC_SECG_P256K1", "ES256K", "ECDSA_SHA_256", 64),
    ],
)
def test_ecdsa_keys_with_moto(kms: Any, spec: str, algorithm: str, kms_algorithm: str, size: int) -> None:
    arn = _create(kms, spec)
    signer = AwsKmsSigner(arn, key_id=KID, client=kms)
    assert isinstance(signer, Signer)
    assert signer.algorithm == algorithm and signer.key_id == KID
    data = b"header.payload"
    signature = signer.sign(data)
    assert len(signature) == size  # raw r||s; DER would start with 0x30 and vary in length
    # The raw signature, turned back into DER, is what KMS itself accepts for the digest we sent.
    digest = hashlib.new(
        {"ES256": "sha256", "ES256K": "sha256", "ES384": "sha384", "ES512": "sha512"}[algorithm], data
    )
    answer = kms.verify(
        KeyId=arn,
        Message=digest.digest(),
        MessageType="DIGEST",
        Signature=jose_to_ecdsa_der(signature),
        SigningAlgorithm=kms_algorithm,
    )
    assert answer["SignatureValid"] is True


def test_public_jwk_matches_get_public_key(kms: Any) -> None:
    arn = _create(kms, "ECC_NIST_P256")
    spki = kms.get_public_key(KeyId=arn)["PublicKey"]
    expected = JWK.from_pyca(serialization.load_der_public_key(spki)).export_public(as_dict=True)
    jwk = AwsKmsSigner(arn, key_id=KID, client=kms).public_jwk()
    assert dict(jwk) == {k: expected[k] for k in ("kty", "crv", "x", "y")}


def test_rsa_key_defaults_to_ps256_and_accepts_rs256(kms: Any) -> None:
    arn = _create(kms, "RSA_2048")
    assert AwsKmsSigner(arn, key_id=KID, client=kms).algorithm == "PS256"
    signer = AwsKmsSigner(arn, key_id=KID, client=kms, algorithm="RS256")
    assert signer.public_jwk()["kty"] == "RSA"
    data = b"header.payload"
    answer = kms.verify(
        KeyId=arn,
        Message=hashlib.sha256(data).digest(),
        MessageType="DIGEST",
        Signature=signer.sign(data),
        SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
    )
    assert answer["SignatureValid"] is True


def test_encryption_key_is_refused(kms: Any) -> None:
    arn = _create(kms, "SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT")
    with pytest.raises((ConfigurationError, SigningError)):
        AwsKmsSigner(arn, key_id=KID, client=kms)


def test_algorithm_must_fit_the_key(kms: Any) -> None:
    arn = _create(kms, "ECC_NIST_P256")
    with pytest.raises(ConfigurationError, match="'ES384' does not fit"):
        AwsKmsSigner(arn, key_id=KID, client=kms, algorithm="ES384")
    with pytest.raises(ConfigurationError, match="not supported with AWS KMS"):
        AwsKmsSigner(arn, key_id=KID, client=kms, algorithm="HS256")


def test_unknown_key_is_a_signing_error(kms: Any) -> None:
    with pytest.raises(SigningError, match="GetPublicKey .* NotFoundException"):
        AwsKmsSigner(ARN, key_id=KID, client=kms)


def test_default_client_uses_the_region(kms: Any) -> None:
    arn = _create(kms, "ECC_NIST_P256")
    signer = AwsKmsSigner(arn, key_id=KID, region=REGION)
    assert len(signer.sign(b"x")) == 64


def test_factory_and_entry_point(kms: Any) -> None:
    (entry,) = [ep for ep in entry_points(group="d4h_sdk.signers") if ep.name == "aws-kms"]
    assert entry.load() is create_aws_kms_signer
    signer = create_aws_kms_signer(key_id_arn=_create(kms, "ECC_NIST_P256"), key_id=KID, client=kms)
    assert signer.algorithm == "ES256"
    with pytest.raises(ConfigurationError, match="unknown aws-kms signer options \\['profile'\\]"):
        create_aws_kms_signer(key_id_arn=ARN, key_id=KID, profile="x")
    with pytest.raises(ConfigurationError, match="needs the options \\['key_id_arn'\\]"):
        create_aws_kms_signer(key_id=KID)


# -- Stubber: exact request shapes, real keys, jwcrypto verification --------------------------------------


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("kms", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _spki(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _stub_public_key(stubber: Stubber, public_key: Any, spec: str, algorithms: list[str]) -> None:
    stubber.add_response(
        "get_public_key",
        {
            "KeyId": ARN,
            "PublicKey": _spki(public_key),
            "KeySpec": spec,
            "KeyUsage": "SIGN_VERIFY",
            "SigningAlgorithms": algorithms,
        },
        {"KeyId": ARN},
    )


def _stub_sign(stubber: Stubber, message: bytes, message_type: str, algorithm: str, signature: bytes) -> None:
    stubber.add_response(
        "sign",
        {"KeyId": ARN, "Signature": signature, "SigningAlgorithm": algorithm},
        {"KeyId": ARN, "Message": message, "MessageType": message_type, "SigningAlgorithm": algorithm},
    )


def test_es256_sends_the_digest_and_converts_der(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ec.generate_private_key(ec.SECP256R1())
    _stub_public_key(stubber, key.public_key(), "ECC_NIST_P256", ["ECDSA_SHA_256"])
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    data = signing_input(signer, {"iss": "did:web:hospital.example"})
    digest = hashlib.sha256(data).digest()
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    _stub_sign(stubber, digest, "DIGEST", "ECDSA_SHA_256", der)
    signature = signer.sign(data)
    assert len(signature) == 64
    from jwcrypto.jwa import JWA

    JWA.signing_alg("ES256").verify(JWK(**signer.public_jwk()), data, signature)


def test_ps256_signature_verifies_with_jwcrypto(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _stub_public_key(
        stubber, key.public_key(), "RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"]
    )
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    assert signer.algorithm == "PS256"

    data = signing_input(signer, {"iss": "did:web:hospital.example"})
    digest = hashlib.sha256(data).digest()
    # What KMS does for RSASSA_PSS_SHA_256 with MessageType=DIGEST: PSS with a salt as long as the hash.
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    _stub_sign(
        stubber,
        digest,
        "DIGEST",
        "RSASSA_PSS_SHA_256",
        key.sign(digest, pss, utils.Prehashed(hashes.SHA256())),
    )
    from jwcrypto.jwa import JWA

    JWA.signing_alg("PS256").verify(JWK(**signer.public_jwk()), data, signer.sign(data))


def test_ed25519_signs_raw_message(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ed25519.Ed25519PrivateKey.generate()
    _stub_public_key(
        stubber, key.public_key(), "ECC_NIST_EDWARDS25519", ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    )
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    assert signer.algorithm == "EdDSA"
    assert signer.public_jwk()["crv"] == "Ed25519"
    data = signing_input(signer, {"iss": "did:web:hospital.example"})
    _stub_sign(stubber, data, "RAW", "ED25519_SHA_512", key.sign(data))
    from jwcrypto.jwa import JWA

    JWA.signing_alg("EdDSA").verify(JWK(**signer.public_jwk()), data, signer.sign(data))


def test_ed25519_refuses_inputs_over_4096_bytes(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ed25519.Ed25519PrivateKey.generate()
    _stub_public_key(stubber, key.public_key(), "ECC_NIST_EDWARDS25519", ["ED25519_SHA_512"])
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    with pytest.raises(SigningError, match="at most 4096 bytes .* got 4097"):
        signer.sign(b"a" * 4097)  # no Sign call queued: the Stubber would fail if one were made


def test_kms_error_during_sign_is_a_signing_error(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ec.generate_private_key(ec.SECP256R1())
    _stub_public_key(stubber, key.public_key(), "ECC_NIST_P256", ["ECDSA_SHA_256"])
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    stubber.add_client_error(
        "sign", service_error_code="DisabledException", service_message="key is disabled"
    )
    with pytest.raises(SigningError, match="Sign for key .* DisabledException: key is disabled") as info:
        signer.sign(b"data")
    assert info.value.__cause__ is not None


def test_malformed_der_from_kms_is_a_signing_error(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ec.generate_private_key(ec.SECP256R1())
    _stub_public_key(stubber, key.public_key(), "ECC_NIST_P256", ["ECDSA_SHA_256"])
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)
    _stub_sign(stubber, hashlib.sha256(b"d").digest(), "DIGEST", "ECDSA_SHA_256", b"\x30\x03\x02\x01")
    with pytest.raises(SigningError, match="malformed DER"):
        signer.sign(b"d")


def test_compact_jws_round_trip(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    key = ec.generate_private_key(ec.SECP384R1())
    _stub_public_key(stubber, key.public_key(), "ECC_NIST_P384", ["ECDSA_SHA_384"])
    signer = AwsKmsSigner(ARN, key_id=KID, client=client)

    payload = {"iss": "did:web:hospital.example", "n": 1}
    data = signing_input(signer, payload)
    digest = hashlib.sha384(data).digest()
    _stub_sign(
        stubber,
        digest,
        "DIGEST",
        "ECDSA_SHA_384",
        key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA384()))),
    )
    assert len(sign_and_verify(signer, payload)) == 96
