"""The shipped SignerContract, run against the PKCS#11, AWS KMS and Azure Key Vault signers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import responses

from d4h_sdk.identity.signing import Signer
from d4h_sdk.identity.signing._aws_kms import AwsKmsSigner
from d4h_sdk.identity.signing._azure import AzureKeyVaultSigner
from d4h_sdk.identity.signing._pkcs11 import Pkcs11Signer
from d4h_sdk.testing import SignerContract

from ._fake_azure import TOKEN, VAULT, FakeKey, register
from .conftest import SoftHsm

KID = "did:web:hospital.example#contract"

# -- PKCS#11 (SoftHSM2) -----------------------------------------------------------------------------------


class _Pkcs11Contract(SignerContract):
    key_label = ""

    @pytest.fixture(autouse=True)
    def _token(self, softhsm: SoftHsm) -> Iterator[None]:
        self.hsm = softhsm
        self.opened: list[Pkcs11Signer] = []
        yield
        for signer in self.opened:
            signer.close()

    def _open(self, key_label: str) -> Pkcs11Signer:
        hsm = self.hsm
        signer = Pkcs11Signer(
            hsm.library, token_label=hsm.token_label, pin=hsm.pin, key_label=key_label, key_id=KID
        )
        self.opened.append(signer)
        return signer

    def make_signer(self) -> Signer:
        return self._open(self.key_label)

    def make_failing_signer(self) -> Signer:
        """A signer whose private key is destroyed on the token after it was opened."""
        import pkcs11
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_named_curve_parameters

        label = f"gone-{uuid.uuid4().hex[:8]}"
        token = pkcs11.lib(self.hsm.library).get_token(token_label=self.hsm.token_label)
        with token.open(rw=True, user_pin=self.hsm.pin) as session:
            params = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
            )
            public, private = params.generate_keypair(store=True, label=label)
            signer = self._open(label)
            private.destroy()
            public.destroy()
        return signer


class TestPkcs11ES256(_Pkcs11Contract):
    key_label = "ec-p256"


class TestPkcs11ES384(_Pkcs11Contract):
    key_label = "ec-p384"


class TestPkcs11EdDSA(_Pkcs11Contract):
    key_label = "ed25519"


class TestPkcs11PS256(_Pkcs11Contract):
    key_label = "rsa-2048"


# -- AWS KMS (in-memory client with KMS semantics) -----------------------------------------------------------

ARN = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class _AwsContract(SignerContract):
    key_spec = ""

    def make_signer(self) -> Signer:
        pytest.importorskip("boto3")
        from ._fake_kms import LocalKms

        return AwsKmsSigner(ARN, key_id=KID, client=LocalKms(ARN, self.key_spec))

    def make_failing_signer(self) -> Signer:
        pytest.importorskip("boto3")
        from ._fake_kms import LocalKms

        return AwsKmsSigner(ARN, key_id=KID, client=LocalKms(ARN, self.key_spec, fail_sign=True))


class TestAwsKmsES256(_AwsContract):
    key_spec = "ECC_NIST_P256"


class TestAwsKmsES384(_AwsContract):
    key_spec = "ECC_NIST_P384"


class TestAwsKmsEdDSA(_AwsContract):
    key_spec = "ECC_NIST_EDWARDS25519"


class TestAwsKmsPS256(_AwsContract):
    key_spec = "RSA_2048"


# -- Azure Key Vault (responses) ----------------------------------------------------------------------------


class _AzureContract(SignerContract):
    def new_key(self) -> FakeKey:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _vault(self) -> Iterator[None]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock = mock
            yield

    def _signer(self, key: FakeKey) -> AzureKeyVaultSigner:
        register(self.mock, key)
        return AzureKeyVaultSigner(VAULT, key.name, key_version=key.version, key_id=KID, token=TOKEN)

    def make_signer(self) -> Signer:
        return self._signer(self.new_key())

    def make_failing_signer(self) -> Signer:
        key = FakeKey.ec("failing")
        key.sign_status = 503
        return self._signer(key)


class TestAzureES256(_AzureContract):
    def new_key(self) -> FakeKey:
        return FakeKey.ec("contract-ec")


class TestAzurePS256(_AzureContract):
    def new_key(self) -> FakeKey:
        return FakeKey.rsa("contract-rsa")
