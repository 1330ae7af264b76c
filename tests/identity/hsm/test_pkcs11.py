"""Pkcs11Signer against a real SoftHSM2 token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest

from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing import Signer
from d4h_sdk.identity.signing._pkcs11 import Pkcs11Signer, create_pkcs11_signer

from ._jws import sign_and_verify
from .conftest import SoftHsm

KID = "did:web:hospital.example#hsm-1"


@pytest.fixture
def make(softhsm: SoftHsm) -> Iterator[object]:
    opened: list[Pkcs11Signer] = []

    def factory(key_label: str, **kwargs: object) -> Pkcs11Signer:
        options: dict[str, object] = {
            "token_label": softhsm.token_label,
            "pin": softhsm.pin,
            "key_label": key_label,
            "key_id": KID,
        }
        options.update(kwargs)
        signer = Pkcs11Signer(softhsm.library, **options)  # type: ignore[arg-type]
        opened.append(signer)
        return signer

    yield factory
    for signer in opened:
        signer.close()


@pytest.mark.parametrize(
    ("label", "algorithm", "size", "kty"),
    [
        ("ec-p256", "ES256", 64, "EC"),
        ("ec-p384", "ES384", 96, "EC"),
        ("ed25519", "EdDSA", 64, "OKP"),
        ("rsa-2048", "PS256", 256, "RSA"),
    ],
)
def test_signature_verifies_with_jwcrypto(make, label: str, algorithm: str, size: int, kty: str) -> None:
    signer = make(label)
    assert isinstance(signer, Signer)
    assert signer.algorithm == algorithm
    assert signer.key_id == KID
    assert signer.public_jwk()["kty"] == kty
    signature = sign_and_verify(signer)
    assert len(signature) == size


def test_es256_signature_is_raw_not_der(make) -> None:
    signature = sign_and_verify(make("ec-p256"))
    assert len(signature) == 64  # DER would be 70-72 bytes starting with 0x30


def test_ec_public_jwk_members(make) -> None:
    jwk = make("ec-p256").public_jwk()
    assert set(jwk) == {"kty", "crv", "x", "y"}
    assert jwk["crv"] == "P-256"
    assert len(jwk["x"]) == 43 and len(jwk["y"]) == 43  # 32 bytes, base64url without padding


def test_rsa_key_signs_rs256_when_asked(make) -> None:
    signer = make("rsa-2048", algorithm="RS256")
    assert signer.algorithm == "RS256"
    sign_and_verify(signer)


def test_pin_may_be_a_callable(make, softhsm: SoftHsm) -> None:
    calls: list[int] = []

    def pin() -> str:
        calls.append(1)
        return softhsm.pin

    sign_and_verify(make("ed25519", pin=pin))
    assert calls == [1]


def test_the_session_is_reused_and_thread_safe(make) -> None:
    signer = make("ec-p256")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                sign_and_verify(signer)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_wrong_pin_is_a_signing_error_without_the_pin(make) -> None:
    with pytest.raises(SigningError, match="wrong PIN") as info:
        make("ec-p256", pin="97531")
    assert "97531" not in str(info.value)


def test_unknown_key_label(make) -> None:
    with pytest.raises(SigningError, match="no-such-key"):
        make("no-such-key")


def test_unknown_token(make) -> None:
    with pytest.raises(SigningError, match="no PKCS#11 token labelled 'elsewhere'"):
        make("ec-p256", token_label="elsewhere")


def test_missing_library_file() -> None:
    with pytest.raises(SigningError, match="cannot load the PKCS#11 library"):
        Pkcs11Signer("/nonexistent/libpkcs11.so", token_label="t", pin="1", key_label="k", key_id=KID)


def test_algorithm_must_fit_the_key(make) -> None:
    with pytest.raises(ConfigurationError, match="'ES384' does not fit the P-256 key"):
        make("ec-p256", algorithm="ES384")
    with pytest.raises(ConfigurationError, match="does not fit the RSA key"):
        make("rsa-2048", algorithm="ES256")


def test_closed_signer_refuses_to_sign(make) -> None:
    signer = make("ec-p256")
    signer.close()
    signer.close()
    with pytest.raises(SigningError, match="closed"):
        signer.sign(b"data")


def test_token_failure_during_sign_is_a_signing_error(softhsm: SoftHsm) -> None:
    """A key destroyed behind the signer's back makes the token fail; the signer reports SigningError."""
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11.lib(softhsm.library).get_token(token_label=softhsm.token_label)
    with token.open(rw=True, user_pin=softhsm.pin) as session:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, private = params.generate_keypair(store=True, label="doomed")
        with Pkcs11Signer(
            softhsm.library, token_label=softhsm.token_label, pin=softhsm.pin, key_label="doomed", key_id=KID
        ) as signer:
            private.destroy()
            public.destroy()
            with pytest.raises(SigningError, match="no private and public key pair labelled 'doomed'"):
                signer.sign(b"data")


def test_a_key_replaced_under_the_same_label_is_not_used(softhsm: SoftHsm) -> None:
    """After a lost login the signer logs in again, but never signs with a different key than it published."""
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11.lib(softhsm.library).get_token(token_label=softhsm.token_label)
    with token.open(rw=True, user_pin=softhsm.pin) as session:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, private = params.generate_keypair(store=True, label="swapped")
        with Pkcs11Signer(
            softhsm.library, token_label=softhsm.token_label, pin=softhsm.pin, key_label="swapped", key_id=KID
        ) as signer:
            private.destroy()
            public.destroy()
            params.generate_keypair(store=True, label="swapped")
            with pytest.raises(SigningError, match="changed since the signer opened"):
                signer.sign(b"data")


def test_repr_has_no_pin(make, softhsm: SoftHsm) -> None:
    text = repr(make("ec-p256"))
    assert "ec-p256" in text and softhsm.pin not in text


def test_factory_and_entry_point(softhsm: SoftHsm) -> None:
    (entry,) = [ep for ep in entry_points(group="d4h_sdk.signers") if ep.name == "pkcs11"]
    assert entry.load() is create_pkcs11_signer
    with create_pkcs11_signer(
        library=softhsm.library,
        token_label=softhsm.token_label,
        pin=softhsm.pin,
        key_label="ed25519",
        key_id=KID,
    ) as signer:
        assert signer.algorithm == "EdDSA"
        sign_and_verify(signer)


def test_factory_rejects_unknown_and_missing_options() -> None:
    with pytest.raises(ConfigurationError, match="unknown pkcs11 signer options \\['slot'\\]"):
        create_pkcs11_signer(library="x", token_label="t", pin="1", key_label="k", key_id=KID, slot=0)
    with pytest.raises(ConfigurationError, match="needs the options \\['key_label'\\]"):
        create_pkcs11_signer(library="x", token_label="t", pin="1", key_id=KID)


def test_empty_options_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="key_id"):
        Pkcs11Signer("/x.so", token_label="t", pin="1", key_label="k", key_id="")


def test_two_signers_share_the_token_login(make) -> None:
    """PKCS#11 login is per application and token: a second signer must not fail with UserAlreadyLoggedIn."""
    first = make("ec-p256")
    second = make("ed25519")
    sign_and_verify(first)
    sign_and_verify(second)
    first.close()
    sign_and_verify(second)
