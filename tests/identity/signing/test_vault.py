from __future__ import annotations

import base64
import json
import logging
import urllib.request
from collections.abc import Iterator

import pytest
from jwcrypto.jws import InvalidJWSSignature

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing import Signer, VaultTransitSigner, load_signer, resolve_signer
from d4h_sdk.testing import SignerContract
from d4h_sdk.testing._signer_contract import build_compact_jws, verify_compact_jws

from .vault_fake import FakeVault

TOKEN = "hvs.fake-root-token"
KID = "did:web:hospital.example#vault-key"


@pytest.fixture(scope="module")
def vault() -> Iterator[FakeVault]:
    fake = FakeVault({TOKEN}).start()
    for name, key_type in (
        ("es256", "ecdsa-p256"),
        ("es384", "ecdsa-p384"),
        ("es512", "ecdsa-p521"),
        ("ed", "ed25519"),
        ("rsa", "rsa-2048"),
        ("aes", "aes256-gcm96"),
    ):
        fake.add_key(name, key_type)
    yield fake
    fake.stop()


def make(vault: FakeVault, name: str, **kwargs: object) -> VaultTransitSigner:
    options: dict[str, object] = {"token": TOKEN, "key_id": KID}
    options.update(kwargs)
    return VaultTransitSigner(vault.url, name, **options)  # type: ignore[arg-type]


class _VaultContract(SignerContract):
    key = ""
    algorithm: str | None = None

    @pytest.fixture(autouse=True)
    def _use_vault(self, vault: FakeVault) -> None:
        self.vault = vault

    def make_signer(self) -> Signer:
        return make(self.vault, self.key, algorithm=self.algorithm)

    def make_failing_signer(self) -> Signer:
        token = {"value": TOKEN}
        signer = make(self.vault, self.key, algorithm=self.algorithm, token=lambda: token["value"])
        token["value"] = "hvs.revoked"
        return signer


class TestVaultEs256(_VaultContract):
    key = "es256"


class TestVaultEs384(_VaultContract):
    key = "es384"


class TestVaultEs512(_VaultContract):
    key = "es512"


class TestVaultEd25519(_VaultContract):
    key = "ed"


class TestVaultRsaPs256(_VaultContract):
    key = "rsa"


class TestVaultRsaRs256(_VaultContract):
    key = "rsa"
    algorithm = "RS256"


def _last_sign_body(vault: FakeVault) -> dict[str, object]:
    body = [seen for seen in vault.seen if seen.method == "POST"][-1].body
    assert body is not None
    return body


@pytest.mark.parametrize(
    ("key", "alg", "expected"),
    [
        ("es256", None, {"hash_algorithm": "sha2-256", "marshaling_algorithm": "jws"}),
        ("es384", None, {"hash_algorithm": "sha2-384", "marshaling_algorithm": "jws"}),
        ("es512", None, {"hash_algorithm": "sha2-512", "marshaling_algorithm": "jws"}),
        ("rsa", None, {"hash_algorithm": "sha2-256", "signature_algorithm": "pss", "salt_length": "hash"}),
        ("rsa", "PS384", {"hash_algorithm": "sha2-384", "signature_algorithm": "pss", "salt_length": "hash"}),
        ("rsa", "RS512", {"hash_algorithm": "sha2-512", "signature_algorithm": "pkcs1v15"}),
        ("ed", None, {}),
    ],
)
def test_sign_request_body(vault: FakeVault, key: str, alg: str | None, expected: dict[str, object]) -> None:
    signer = make(vault, key, algorithm=alg)
    signer.sign(b"header.payload")
    body = _last_sign_body(vault)
    assert body == {"input": base64.b64encode(b"header.payload").decode(), "key_version": 1, **expected}
    seen = [s for s in vault.seen if s.method == "POST"][-1]
    assert seen.path == f"/v1/transit/sign/{key}"
    assert seen.headers["X-Vault-Token"] == TOKEN
    assert "Authorization" not in seen.headers


def _raw_sign(vault: FakeVault, key: str, body: dict[str, object]) -> bytes:
    request = urllib.request.Request(
        f"{vault.url}/v1/transit/sign/{key}",
        data=json.dumps(body).encode(),
        headers={"X-Vault-Token": TOKEN, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        signature = json.loads(response.read())["data"]["signature"]
    return base64.b64decode(signature.split(":")[2])


def _token_with(signer: VaultTransitSigner, signature: bytes) -> str:
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": signer.algorithm, "kid": signer.key_id}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(b"{}").rstrip(b"=")
    signing_input = header + b"." + payload
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def test_vault_default_der_output_fails_jws_verification(vault: FakeVault) -> None:
    signer = make(vault, "es256")
    good = build_compact_jws(signer, b"{}")
    signing_input = good.rsplit(".", 1)[0].encode()
    # what a naive client gets: Vault's default marshaling (asn1 = DER)
    der = _raw_sign(vault, "es256", {"input": base64.b64encode(signing_input).decode()})
    assert der[0] == 0x30 and len(der) != 64
    with pytest.raises(InvalidJWSSignature):
        verify_compact_jws(_token_with(signer, der), signer.public_jwk(), "ES256")
    assert verify_compact_jws(good, signer.public_jwk(), "ES256")[1] == b"{}"


def test_vault_default_pss_salt_fails_jws_verification(vault: FakeVault) -> None:
    signer = make(vault, "rsa")
    good = build_compact_jws(signer, b"{}")
    signing_input = good.rsplit(".", 1)[0].encode()
    # Vault's default salt_length=auto: the maximum salt, which JOSE PS256 rejects
    maximum = _raw_sign(
        vault, "rsa", {"input": base64.b64encode(signing_input).decode(), "hash_algorithm": "sha2-256"}
    )
    with pytest.raises(InvalidJWSSignature):
        verify_compact_jws(_token_with(signer, maximum), signer.public_jwk(), "PS256")
    assert verify_compact_jws(good, signer.public_jwk(), "PS256")[1] == b"{}"


def test_server_answering_der_is_normalised(vault: FakeVault) -> None:
    signer = make(vault, "es384")
    vault.ignore_marshaling = True
    try:
        token = build_compact_jws(signer, b"x")
    finally:
        vault.ignore_marshaling = False
    assert verify_compact_jws(token, signer.public_jwk(), "ES384")[1] == b"x"


def test_latest_version_is_pinned_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeVault({TOKEN}).start()
    try:
        fake.add_key("rot", "ecdsa-p256")
        with caplog.at_level(logging.INFO, logger="d4h_sdk.identity.signing"):
            first = make(fake, "rot")
        assert first.key_version == 1
        assert "pinned to version 1" in caplog.text
        published = first.public_jwk()
        fake.rotate("rot")
        token = build_compact_jws(first, b"after rotation")
        assert _last_sign_body(fake)["key_version"] == 1
        assert verify_compact_jws(token, published, "ES256")[1] == b"after rotation"
        second = make(fake, "rot")
        assert second.key_version == 2
        assert second.public_jwk() != published
        explicit = make(fake, "rot", key_version=1)
        assert explicit.public_jwk() == published
        with pytest.raises(ConfigurationError, match="no version 3"):
            make(fake, "rot", key_version=3)
    finally:
        fake.stop()


def test_signature_of_another_version_is_rejected(vault: FakeVault) -> None:
    signer = make(vault, "es256")
    vault.answer_version = 2
    try:
        with pytest.raises(SigningError, match="version 2, but version 1 is pinned"):
            signer.sign(b"x")
    finally:
        vault.answer_version = None


def test_token_provider_is_called_per_request_and_never_shown(
    vault: FakeVault, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return TOKEN

    with caplog.at_level(logging.DEBUG):
        signer = make(vault, "ed", token=provider)
        signer.sign(b"a")
        signer.sign(b"b")
    assert len(calls) == 3  # key read + two signatures
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(signer)
    assert "hospital.example" in repr(signer)


def test_vault_errors_are_signing_errors_with_redacted_message(vault: FakeVault) -> None:
    secret = "hvs.secret-that-leaks"
    vault.error_echo = True
    try:
        with pytest.raises(SigningError) as info:
            make(vault, "es256", token=secret)
    finally:
        vault.error_echo = False
    assert "permission denied" in str(info.value)
    assert secret not in str(info.value)
    # callable provider: the token sent is redacted too
    token = {"value": TOKEN}
    signer = make(vault, "es256", token=lambda: token["value"])
    token["value"] = "hvs.rotated-away-token"
    vault.error_echo = True
    try:
        with pytest.raises(SigningError) as info2:
            signer.sign(b"x")
    finally:
        vault.error_echo = False
    assert "permission denied" in str(info2.value)
    assert "hvs.rotated-away-token" not in str(info2.value)


def test_unknown_key_and_unreachable_vault(vault: FakeVault) -> None:
    with pytest.raises(SigningError, match="GET keys/missing failed"):
        make(vault, "missing")
    closed = FakeVault()
    url = closed.url
    closed.stop()
    with pytest.raises(SigningError, match="connection failed"):
        VaultTransitSigner(url, "es256", token=TOKEN, key_id=KID, http=HttpClient(max_retries=0))


def test_unsupported_key_type_and_wrong_algorithm(vault: FakeVault) -> None:
    with pytest.raises(ConfigurationError, match="aes256-gcm96"):
        make(vault, "aes")
    with pytest.raises(ConfigurationError, match="does not fit Vault key type ecdsa-p256"):
        make(vault, "es256", algorithm="ES384")
    with pytest.raises(ConfigurationError, match="does not fit"):
        make(vault, "rsa", algorithm="ES256")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": ""},
        {"key_version": 0},
        {"key_id": ""},
        {"mount": " "},
    ],
)
def test_invalid_options(vault: FakeVault, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        make(vault, "es256", **kwargs)
    with pytest.raises(ConfigurationError, match="http"):
        VaultTransitSigner("vault.example", "k", token=TOKEN, key_id=KID)


def test_empty_token_from_provider(vault: FakeVault) -> None:
    with pytest.raises(SigningError, match="returned no token"):
        make(vault, "es256", token=lambda: "")
    with pytest.raises(SigningError, match="line break"):
        make(vault, "es256", token="hvs.abc\r\nX-Injected: 1")


def test_namespace_and_mount(vault: FakeVault) -> None:
    vault.add_key("nskey", "ed25519", mount="team/transit")
    signer = make(vault, "nskey", mount="/team/transit/", namespace="hospital")
    signer.sign(b"x")
    seen = vault.seen[-1]
    assert seen.path == "/v1/team/transit/sign/nskey"
    assert seen.headers["X-Vault-Namespace"] == "hospital"


def test_non_bytes_input(vault: FakeVault) -> None:
    with pytest.raises(SigningError, match="must be bytes"):
        make(vault, "ed").sign("text")  # type: ignore[arg-type]


def test_context_manager_closes_own_client(vault: FakeVault) -> None:
    with make(vault, "ed") as signer:
        assert signer.sign(b"x")


def test_factory_via_registry_and_environment(vault: FakeVault) -> None:
    signer = load_signer(
        "vault-transit", url=vault.url, key_name="es256", token=TOKEN, key_id=KID, key_version="1"
    )
    assert isinstance(signer, VaultTransitSigner) and signer.key_version == 1
    env = {
        "D4H_SIGNER": "vault-transit",
        "D4H_SIGNER_URL": vault.url,
        "D4H_SIGNER_KEY_NAME": "rsa",
        "D4H_SIGNER_TOKEN": TOKEN,
        "D4H_SIGNER_KEY_ID": KID,
        "D4H_SIGNER_ALGORITHM": "RS256",
    }
    from_env = resolve_signer(environ=env)
    assert from_env.algorithm == "RS256"
    assert verify_compact_jws(build_compact_jws(from_env, b"e"), from_env.public_jwk(), "RS256")[1] == b"e"
    with pytest.raises(ConfigurationError, match="needs option"):
        load_signer("vault-transit", url=vault.url, key_name="es256", key_id=KID)
    with pytest.raises(ConfigurationError, match="unknown option"):
        load_signer("vault-transit", url=vault.url, key_name="es256", token=TOKEN, key_id=KID, role="x")
    with pytest.raises(ConfigurationError, match="positive integer"):
        load_signer(
            "vault-transit", url=vault.url, key_name="es256", token=TOKEN, key_id=KID, key_version="v1"
        )


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"nodata": 1}, "no 'data' object"),
        ([1, 2], "no 'data' object"),
        ({"data": {}}, "no signature"),
        ({"data": {"signature": "abc"}}, "not of the form"),
        ({"data": {"signature": "vault:vX:abc"}}, "not of the form"),
        ({"data": {"signature": "vault:v1:@@@"}}, "not valid base64"),
        ({"data": {"signature": "vault:v1:" + base64.b64encode(b"\x01" * 10).decode()}}, "expected 64 bytes"),
    ],
)
def test_malformed_sign_responses(vault: FakeVault, response: object, message: str) -> None:
    signer = make(vault, "es256")
    vault.sign_override = response
    try:
        with pytest.raises(SigningError, match=message):
            signer.sign(b"x")
    finally:
        vault.sign_override = None


def test_malformed_der_from_server_is_signing_error(vault: FakeVault) -> None:
    signer = make(vault, "es256")
    vault.sign_override = {
        "data": {"signature": "vault:v1:" + base64.b64encode(b"\x30\x03\x02\x01").decode()}
    }
    try:
        with pytest.raises(SigningError, match="malformed DER"):
            signer.sign(b"x")
    finally:
        vault.sign_override = None


def _key_data(vault: FakeVault, name: str) -> dict[str, object]:
    status, body = vault.read_key("transit", name)
    assert status == 200
    return dict(body["data"])


def _with_key(vault: FakeVault, data: dict[str, object]) -> VaultTransitSigner:
    vault.key_override = {"data": data}
    try:
        return make(vault, "es256")
    finally:
        vault.key_override = None


def test_key_read_without_latest_version_uses_the_highest(vault: FakeVault) -> None:
    data = _key_data(vault, "es256")
    del data["latest_version"]
    assert _with_key(vault, data).key_version == 1


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"supports_signing": False}, ConfigurationError, "does not support signing"),
        ({"keys": {}}, SigningError, "lists no key versions"),
        ({"keys": {"1": {"name": "x"}}}, SigningError, "no public key returned"),
        ({"keys": {"1": {"public_key": "not pem"}}}, SigningError, "not PEM"),
        ({"type": "ed25519", "keys": {"1": {"public_key": "!!"}}}, SigningError, "not base64"),
        ({"type": "ed25519", "keys": {"1": {"public_key": "AAAA"}}}, SigningError, "3-byte ed25519"),
    ],
)
def test_malformed_key_reads(
    vault: FakeVault, change: dict[str, object], error: type[Exception], message: str
) -> None:
    data = {**_key_data(vault, "es256"), **change}
    with pytest.raises(error, match=message):
        _with_key(vault, data)


def test_public_key_of_the_wrong_type_is_rejected(vault: FakeVault) -> None:
    rsa_pem = _key_data(vault, "rsa")["keys"]["1"]["public_key"]  # type: ignore[index]
    p384_pem = _key_data(vault, "es384")["keys"]["1"]["public_key"]  # type: ignore[index]
    data = {**_key_data(vault, "es256"), "keys": {"1": {"public_key": rsa_pem}}}
    with pytest.raises(SigningError, match="for a ecdsa-p256 key"):
        _with_key(vault, data)
    data = {**_key_data(vault, "es256"), "keys": {"1": {"public_key": p384_pem}}}
    with pytest.raises(SigningError, match="secp384r1 public key for a ecdsa-p256 key"):
        _with_key(vault, data)
    data = {**_key_data(vault, "rsa"), "keys": {"1": {"public_key": p384_pem}}}
    with pytest.raises(SigningError, match="for a rsa-2048 key"):
        _with_key(vault, data)
