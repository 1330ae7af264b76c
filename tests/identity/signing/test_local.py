from __future__ import annotations

import json
import logging
import os
from functools import cache
from pathlib import Path

import pytest
from jwcrypto import jwk as jwk_mod

from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing import LocalKeySigner, Signer, generate_key, load_signer
from d4h_sdk.testing import SignerContract
from d4h_sdk.testing._signer_contract import build_compact_jws, verify_compact_jws

KID = "did:web:hospital.example#key-1"


@cache
def _signer(kind: str, algorithm: str | None = None) -> LocalKeySigner:
    return generate_key(kind, key_id=KID, algorithm=algorithm)


class TestLocalP256(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("P-256")


class TestLocalP384(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("P-384")


class TestLocalP521(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("P-521")


class TestLocalSecp256k1(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("secp256k1")


class TestLocalEd25519(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("Ed25519")


class TestLocalRsaPs256(SignerContract):
    def make_signer(self) -> Signer:
        return _signer("RSA")


class TestLocalRsaRs256(SignerContract):
    def make_signer(self) -> Signer:
        jwk = {k: v for k, v in _signer("RSA").private_jwk().items() if k != "alg"}
        return LocalKeySigner(jwk, algorithm="RS256")


class TestLocalFromJwk(SignerContract):
    def make_signer(self) -> Signer:
        return LocalKeySigner(_signer("P-256").private_jwk())


@pytest.mark.parametrize(
    ("kind", "alg"),
    [
        ("P-256", "ES256"),
        ("P-384", "ES384"),
        ("P-521", "ES512"),
        ("secp256k1", "ES256K"),
        ("Ed25519", "EdDSA"),
        ("RSA", "PS256"),
    ],
)
def test_algorithm_follows_the_key(kind: str, alg: str) -> None:
    assert _signer(kind).algorithm == alg
    assert _signer(kind).public_jwk()["alg"] == alg
    assert _signer(kind).public_jwk()["kid"] == KID


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("P-256", "ES384"),
        ("P-256", "EdDSA"),
        ("Ed25519", "ES256"),
        ("RSA", "ES256"),
        ("RSA", "HS256"),
        ("P-384", "none"),
    ],
)
def test_mismatched_algorithm_is_rejected(kind: str, bad: str) -> None:
    jwk = {k: v for k, v in _signer(kind).private_jwk().items() if k != "alg"}
    with pytest.raises(ConfigurationError, match="does not fit"):
        LocalKeySigner(jwk, algorithm=bad)
    with pytest.raises(ConfigurationError, match="does not fit"):
        LocalKeySigner.from_pem(_signer(kind).private_pem(), key_id=KID, algorithm=bad)


def test_rsa_algorithms_are_selectable() -> None:
    jwk = {k: v for k, v in _signer("RSA").private_jwk().items() if k != "alg"}
    for alg in ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512"):
        signer = LocalKeySigner(jwk, algorithm=alg)
        token = build_compact_jws(signer, b"x")
        assert verify_compact_jws(token, signer.public_jwk(), alg)[1] == b"x"


def test_jwk_alg_member_must_agree() -> None:
    jwk = _signer("RSA").private_jwk()  # carries alg PS256
    with pytest.raises(ConfigurationError, match="contradicts"):
        LocalKeySigner(jwk, algorithm="RS256")
    jwk["alg"] = "RS256"
    assert LocalKeySigner(jwk).algorithm == "RS256"


def test_key_id_required_unless_jwk_has_kid() -> None:
    jwk = _signer("Ed25519").private_jwk()
    del jwk["kid"]
    with pytest.raises(ConfigurationError, match="key_id is required"):
        LocalKeySigner(jwk)
    assert LocalKeySigner(jwk, key_id="did:web:x#2").key_id == "did:web:x#2"
    jwk["kid"] = "did:web:x#3"
    assert LocalKeySigner(jwk).key_id == "did:web:x#3"
    assert LocalKeySigner(jwk, key_id="did:web:x#4").public_jwk()["kid"] == "did:web:x#4"
    with pytest.raises(ConfigurationError, match="key_id is required"):
        LocalKeySigner.from_pem(_signer("Ed25519").private_pem(), key_id="")


def test_public_jwk_from_jwcrypto_thumbprint_matches() -> None:
    for kind in ("P-256", "Ed25519", "RSA"):
        signer = _signer(kind)
        ours = jwk_mod.JWK(**signer.public_jwk())
        theirs = jwk_mod.JWK(**signer.private_jwk())
        assert ours.thumbprint() == theirs.thumbprint()
        assert not ours.has_private


def test_public_jwk_is_a_copy() -> None:
    signer = _signer("P-256")
    signer.public_jwk()["x"] = "tampered"
    assert signer.public_jwk()["x"] != "tampered"


def test_pem_round_trip_with_and_without_password() -> None:
    original = _signer("P-384")
    plain = original.private_pem()
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert LocalKeySigner.from_pem(plain, key_id=KID).public_jwk() == original.public_jwk()
    assert LocalKeySigner.from_pem(plain.decode(), key_id=KID).public_jwk() == original.public_jwk()
    encrypted = original.private_pem(password="s3cret")
    assert b"ENCRYPTED" in encrypted
    again = LocalKeySigner.from_pem(encrypted, key_id=KID, password=b"s3cret")
    assert again.public_jwk() == original.public_jwk()
    with pytest.raises(ConfigurationError, match="pass password="):
        LocalKeySigner.from_pem(encrypted, key_id=KID)
    with pytest.raises(ConfigurationError, match="wrong password"):
        LocalKeySigner.from_pem(encrypted, key_id=KID, password="nope")
    with pytest.raises(ConfigurationError, match="not encrypted"):
        LocalKeySigner.from_pem(plain, key_id=KID, password="x")
    with pytest.raises(ConfigurationError):
        LocalKeySigner.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", key_id=KID)


def test_sec1_and_pkcs1_pem_are_read() -> None:
    from cryptography.hazmat.primitives import serialization

    for kind, fmt in (
        ("P-256", serialization.PrivateFormat.TraditionalOpenSSL),
        ("RSA", serialization.PrivateFormat.TraditionalOpenSSL),
    ):
        key = serialization.load_pem_private_key(_signer(kind).private_pem(), None)
        pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
        assert LocalKeySigner.from_pem(pem, key_id=KID).public_jwk() == _signer(kind).public_jwk()


def test_from_file_detects_jwk_and_pem(tmp_path: Path) -> None:
    original = _signer("Ed25519")
    jwk_file = tmp_path / "key.jwk"
    jwk_file.write_text(json.dumps(original.private_jwk()))
    pem_file = tmp_path / "key.pem"
    pem_file.write_bytes(original.private_pem(password="pw"))
    os.chmod(jwk_file, 0o600)
    os.chmod(pem_file, 0o600)
    assert LocalKeySigner.from_file(jwk_file).public_jwk() == original.public_jwk()
    assert (
        LocalKeySigner.from_file(str(pem_file), key_id=KID, password="pw").public_jwk()
        == original.public_jwk()
    )
    with pytest.raises(ConfigurationError, match="key_id is required"):
        LocalKeySigner.from_file(pem_file, password="pw")
    with pytest.raises(ConfigurationError, match="cannot read key file"):
        LocalKeySigner.from_file(tmp_path / "missing.pem", key_id=KID)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        LocalKeySigner.from_file(bad, key_id=KID)
    arr = tmp_path / "arr.json"
    arr.write_text('{"kty": "EC", "keys": 1}')
    with pytest.raises(ConfigurationError, match="no private member"):
        LocalKeySigner.from_file(arr, key_id=KID)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_world_readable_key_file_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(_signer("P-256").private_pem())
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="d4h_sdk.identity.signing"):
        LocalKeySigner.from_file(path, key_id=KID)
    assert "accessible by group or others" in caplog.text
    caplog.clear()
    os.chmod(path, 0o600)
    with caplog.at_level(logging.WARNING, logger="d4h_sdk.identity.signing"):
        LocalKeySigner.from_file(path, key_id=KID)
    assert caplog.text == ""


def test_invalid_jwks_are_rejected() -> None:
    public_only = _signer("P-256").public_jwk()
    with pytest.raises(ConfigurationError, match="no private member 'd'"):
        LocalKeySigner(public_only)
    with pytest.raises(ConfigurationError, match="invalid private JWK"):
        LocalKeySigner({"kty": "EC", "crv": "P-256", "d": "AAAA", "x": "AA", "y": "AA", "kid": KID})
    with pytest.raises(ConfigurationError, match="mapping"):
        LocalKeySigner("not a jwk")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unsupported key type"):
        LocalKeySigner({"kty": "oct", "k": "c2VjcmV0", "d": "x", "kid": KID})


def test_small_rsa_and_unknown_kinds_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="at least 2048"):
        generate_key("RSA", key_id=KID, rsa_bits=1024)
    with pytest.raises(ConfigurationError, match="unknown key kind"):
        generate_key("P-192", key_id=KID)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigurationError, match="at least 2048"):
        LocalKeySigner.from_pem(pem, key_id=KID)


def test_private_key_never_in_repr_str_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    signer = _signer("P-256")
    secret = signer.private_jwk()["d"]
    assert secret not in repr(signer) and secret not in str(signer)
    assert repr(signer) == f"LocalKeySigner(key_id={KID!r}, algorithm='ES256')"
    jwk = signer.private_jwk()
    jwk["x"] = jwk["y"]  # inconsistent public point
    with pytest.raises(ConfigurationError) as info:
        LocalKeySigner(jwk)
    assert secret not in str(info.value)
    with pytest.raises(SigningError) as info2:
        signer.sign("text")  # type: ignore[arg-type]
    assert secret not in str(info2.value)
    assert secret not in caplog.text


def test_ecdsa_signature_is_raw_not_der() -> None:
    signature = _signer("P-256").sign(b"abc")
    assert len(signature) == 64


def test_ed25519_alg_name_is_accepted_on_request() -> None:
    signer = LocalKeySigner(
        {k: v for k, v in _signer("Ed25519").private_jwk().items() if k != "alg"}, algorithm="Ed25519"
    )
    assert signer.algorithm == "Ed25519"
    assert verify_compact_jws(build_compact_jws(signer, b"p"), signer.public_jwk(), "Ed25519")[1] == b"p"


def test_factory_options(tmp_path: Path) -> None:
    original = _signer("P-256")
    path = tmp_path / "k.pem"
    path.write_bytes(original.private_pem(password="pw"))
    os.chmod(path, 0o600)
    by_path = load_signer("local", path=str(path), key_id=KID, password="pw")
    assert by_path.public_jwk() == original.public_jwk()
    by_jwk = load_signer("local", jwk=original.private_jwk())
    assert by_jwk.public_jwk() == original.public_jwk()
    by_jwk_text = load_signer("local", jwk=json.dumps(original.private_jwk()))
    assert by_jwk_text.key_id == KID
    by_pem = load_signer("local", pem=original.private_pem().decode(), key_id="did:web:other#k")
    assert by_pem.key_id == "did:web:other#k"
    with pytest.raises(ConfigurationError, match="exactly one of"):
        load_signer("local", jwk=original.private_jwk(), path=str(path))
    with pytest.raises(ConfigurationError, match="exactly one of"):
        load_signer("local", key_id=KID)
    with pytest.raises(ConfigurationError, match="unknown option"):
        load_signer("local", jwk=original.private_jwk(), colour="blue")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        load_signer("local", jwk="{")
    with pytest.raises(ConfigurationError, match="key_id is required"):
        load_signer("local", pem=original.private_pem())
    with pytest.raises(ConfigurationError, match="password applies"):
        load_signer("local", jwk=original.private_jwk(), password="pw")
