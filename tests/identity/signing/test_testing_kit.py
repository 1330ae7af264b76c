from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from jwcrypto.jws import InvalidJWSSignature

import d4h_sdk.identity.signing as signing
import d4h_sdk.testing as testing
from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing import Signer, generate_key, jose_to_ecdsa_der
from d4h_sdk.testing import FakeSigner, SignerContract


class TestFakeSignerEd25519(SignerContract):
    def make_signer(self) -> Signer:
        return FakeSigner()

    def make_failing_signer(self) -> Signer:
        return FakeSigner(fail=True)


class TestFakeSignerP256(SignerContract):
    def make_signer(self) -> Signer:
        return FakeSigner("P-256", key_id="did:web:fake.example#p256")

    def make_failing_signer(self) -> Signer:
        return FakeSigner("P-256", fail=True)


def test_fake_signer_is_deterministic_and_records() -> None:
    a, b = FakeSigner(), FakeSigner()
    assert a.public_jwk() == b.public_jwk()
    assert a.sign(b"x") == b.sign(b"x")
    assert FakeSigner(seed=b"other").public_jwk() != a.public_jwk()
    assert FakeSigner("P-256").public_jwk() == FakeSigner("P-256").public_jwk()
    a.sign(b"y")
    assert a.signed == [b"x", b"y"]
    a.fail = True
    with pytest.raises(SigningError, match="set to fail"):
        a.sign(b"z")
    assert a.signed[-1] == b"z"
    assert "fail=True" in repr(a)
    with pytest.raises(ConfigurationError, match="Ed25519' or 'P-256"):
        FakeSigner("RSA")
    with pytest.raises(ConfigurationError):
        FakeSigner(key_id="")


class _DerSigner:
    """A broken backend: returns DER ECDSA signatures."""

    def __init__(self) -> None:
        self._inner = generate_key("P-256", key_id="did:web:broken.example#1")

    @property
    def key_id(self) -> str:
        return self._inner.key_id

    @property
    def algorithm(self) -> str:
        return "ES256"

    def public_jwk(self) -> Mapping[str, Any]:
        return self._inner.public_jwk()

    def sign(self, data: bytes) -> bytes:
        return jose_to_ecdsa_der(self._inner.sign(data))


class _LeakySigner(_DerSigner):
    def public_jwk(self) -> Mapping[str, Any]:
        return self._inner.private_jwk()

    def sign(self, data: bytes) -> bytes:
        return self._inner.sign(data)


class _ContractOnBrokenSigner(SignerContract):
    def make_signer(self) -> Signer:
        return _DerSigner()


class _ContractOnLeakySigner(SignerContract):
    def make_signer(self) -> Signer:
        return _LeakySigner()


def test_contract_catches_der_signatures() -> None:
    contract = _ContractOnBrokenSigner()
    signer = contract.make_signer()
    contract.test_is_a_signer(signer)  # the protocol alone does not catch it
    with pytest.raises(AssertionError):
        contract.test_signature_has_the_jose_length(signer)
    with pytest.raises(InvalidJWSSignature):
        contract.test_compact_jws_verifies(signer)


def test_contract_catches_private_members() -> None:
    contract = _ContractOnLeakySigner()
    signer = contract.make_signer()
    contract.test_compact_jws_verifies(signer)
    with pytest.raises(AssertionError, match="private members"):
        contract.test_public_jwk_has_only_public_members(signer)


def test_contract_without_make_signer_fails_clearly() -> None:
    with pytest.raises(NotImplementedError, match="make_signer"):
        SignerContract().make_signer()


def test_base_contract_is_not_collected(tmp_path: Path) -> None:
    module = tmp_path / "test_only_import.py"
    module.write_text("from d4h_sdk.testing import SignerContract\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(module)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "no tests collected" in result.stdout, result.stdout


@pytest.mark.parametrize("module", [signing, testing])
def test_all_is_sorted_complete_and_documented(module: Any) -> None:
    assert module.__all__ == sorted(module.__all__)
    public = {name for name in vars(module) if not name.startswith("_") and name != "annotations"}
    public = {name for name in public if not isinstance(getattr(module, name), type(sys))}
    lazy = {name for name in module.__all__ if name not in vars(module)}  # resolved by module __getattr__
    assert public | lazy == set(module.__all__)
    for name in module.__all__:
        assert getattr(module, name).__doc__, name


def test_signing_import_is_light() -> None:
    code = (
        "import sys, d4h_sdk.identity.signing; "
        "print(','.join(m for m in ('cryptography', 'jwcrypto', 'requests', 'pytest') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == ""


def test_fake_signer_import_is_light() -> None:
    code = (
        "import sys; from d4h_sdk.testing._fakes import FakeSigner; "
        "print(','.join(m for m in ('cryptography', 'jwcrypto', 'requests') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == ""
