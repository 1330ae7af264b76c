"""AzureKeyVaultSigner against the documented Key Vault wire shapes (``responses``), with real keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest
import responses

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError, SigningError
from d4h_sdk.identity.signing import Signer
from d4h_sdk.identity.signing._azure import AzureKeyVaultSigner, create_azure_keyvault_signer

from ._fake_azure import TOKEN, VAULT, FakeKey, b64url, b64url_decode, register
from ._jws import sign_and_verify, signing_input

KID = "did:web:hospital.example#kv-1"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _signer(key: FakeKey, **kwargs: object) -> AzureKeyVaultSigner:
    options: dict[str, object] = {"key_version": key.version, "key_id": KID, "token": TOKEN}
    options.update(kwargs)
    return AzureKeyVaultSigner(VAULT, key.name, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("crv", "algorithm", "size"),
    [("P-256", "ES256", 64), ("P-384", "ES384", 96), ("P-521", "ES512", 132), ("P-256K", "ES256K", 64)],
)
def test_ec_keys_sign_verifiable_jws(
    mock: responses.RequestsMock, crv: str, algorithm: str, size: int
) -> None:
    key = FakeKey.ec("did-key", crv)
    register(mock, key)
    with _signer(key) as signer:
        assert isinstance(signer, Signer)
        assert signer.algorithm == algorithm and signer.key_id == KID
        jwk = signer.public_jwk()
        assert jwk["kty"] == "EC" and set(jwk) == {"kty", "crv", "x", "y"}  # no kid/key_ops, no -HSM
        assert len(sign_and_verify(signer)) == size
    assert key.sign_calls[0]["alg"] == algorithm


def test_sign_posts_the_digest_not_the_data(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    register(mock, key)
    signer = _signer(key)
    data = signing_input(signer, {"iss": "did:web:hospital.example"})
    signer.sign(data)
    assert key.sign_calls == [{"alg": "ES256", "value": b64url(hashlib.sha256(data).digest())}]
    sign_request = mock.calls[-1].request
    assert sign_request.url == f"{key.url}/sign?api-version=7.4"
    assert json.loads(sign_request.body) == key.sign_calls[0]


@pytest.mark.parametrize("algorithm", [None, "PS384", "RS256", "RS512"])
def test_rsa_keys(mock: responses.RequestsMock, algorithm: str | None) -> None:
    key = FakeKey.rsa("rsa-key")
    register(mock, key)
    signer = _signer(key, algorithm=algorithm)
    assert signer.algorithm == (algorithm or "PS256")
    assert signer.public_jwk()["kty"] == "RSA" and signer.public_jwk()["e"] == "AQAB"
    assert len(sign_and_verify(signer)) == 256


def test_token_provider_is_called_per_request(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    register(mock, key)
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return TOKEN

    signer = _signer(key, token=provider)
    signer.sign(b"a")
    signer.sign(b"b")
    assert len(calls) == 3  # GET key + two signatures


def test_eddsa_is_refused_before_any_request(mock: responses.RequestsMock) -> None:
    with pytest.raises(ConfigurationError, match="does not offer Ed25519"):
        AzureKeyVaultSigner(VAULT, "k", key_version="1", key_id=KID, token=TOKEN, algorithm="EdDSA")
    assert len(mock.calls) == 0


def test_okp_key_is_a_configuration_error(mock: responses.RequestsMock) -> None:
    url = f"{VAULT}/keys/ed/1"
    mock.add(responses.GET, url, json={"key": {"kid": url, "kty": "OKP", "crv": "Ed25519", "x": "AAAA"}})
    with pytest.raises(ConfigurationError, match="Ed25519"):
        AzureKeyVaultSigner(VAULT, "ed", key_version="1", key_id=KID, token=TOKEN)


def test_algorithm_must_fit_the_key(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    register(mock, key)
    with pytest.raises(ConfigurationError, match="'ES384' does not fit"):
        _signer(key, algorithm="ES384")


def test_key_without_sign_operation(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    bundle = key.key_bundle()
    bundle["key"]["key_ops"] = ["verify"]
    mock.add(responses.GET, key.url, json=bundle)
    with pytest.raises(ConfigurationError, match="does not allow 'sign'"):
        _signer(key)


def test_unauthorised_is_a_signing_error_without_the_token(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    mock.add(responses.GET, key.url, status=401, json={"error": {"code": "Unauthorized", "message": "no"}})
    with pytest.raises(SigningError, match="could not read the key") as info:
        _signer(key)
    assert TOKEN not in str(info.value) and "secret-access-token" not in str(info.value)
    assert info.value.__cause__ is not None


def test_sign_failure_is_a_signing_error(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    key.sign_status = 500
    register(mock, key)
    signer = _signer(key)
    with pytest.raises(SigningError, match="could not sign"):
        signer.sign(b"data")
    assert len(key.sign_calls) == 1  # a POST is never replayed


def test_wrong_signature_length_is_refused(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    mock.add(responses.GET, key.url, json=key.key_bundle())
    mock.add(responses.POST, f"{key.url}/sign", json={"kid": key.url, "value": b64url(b"\x30" * 70)})
    with pytest.raises(SigningError, match="70-byte ES256 signature; expected 64"):
        _signer(key).sign(b"data")


def test_token_provider_failure_is_a_signing_error(mock: responses.RequestsMock) -> None:
    def provider() -> str:
        raise RuntimeError("credential chain exhausted")

    with pytest.raises(SigningError, match="token provider failed"):
        AzureKeyVaultSigner(VAULT, "k", key_version="1", key_id=KID, token=provider)


def test_plain_http_is_refused_except_loopback(mock: responses.RequestsMock) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        AzureKeyVaultSigner("http://vault.example", "k", key_version="1", key_id=KID, token=TOKEN)


def test_key_name_and_version_are_path_escaped(mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, f"{VAULT}/keys/a%2Fb/v%3F1", status=404, json={"error": {"code": "KeyNotFound"}})
    with pytest.raises(SigningError, match="404"):
        AzureKeyVaultSigner(VAULT, "a/b", key_version="v?1", key_id=KID, token=TOKEN)


def test_user_http_client_is_used_and_not_closed(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    register(mock, key)
    seen: list[str] = []
    http = HttpClient(event_hooks={"request": [lambda info: seen.append(info.method)]})
    with _signer(key, http=http) as signer:
        signer.sign(b"x")
    assert seen == ["GET", "POST"]
    assert _signer(key, http=http).algorithm == "ES256"  # still usable after the signer closed
    http.close()


def test_repr_has_no_token(mock: responses.RequestsMock) -> None:
    key = FakeKey.ec("did-key")
    register(mock, key)
    assert TOKEN not in repr(_signer(key))


def test_factory_and_entry_point(mock: responses.RequestsMock) -> None:
    (entry,) = [ep for ep in entry_points(group="d4h_sdk.signers") if ep.name == "azure-keyvault"]
    assert entry.load() is create_azure_keyvault_signer
    key = FakeKey.ec("did-key")
    register(mock, key)
    signer = create_azure_keyvault_signer(
        vault_url=VAULT, key_name=key.name, key_version=key.version, key_id=KID, token=TOKEN
    )
    assert len(b64url_decode(b64url(signer.sign(b"x")))) == 64
    with pytest.raises(ConfigurationError, match="needs the options \\['token'\\]"):
        create_azure_keyvault_signer(vault_url=VAULT, key_name="k", key_version="1", key_id=KID)
    with pytest.raises(ConfigurationError, match="unknown azure-keyvault signer options \\['tenant'\\]"):
        create_azure_keyvault_signer(
            vault_url=VAULT, key_name="k", key_version="1", key_id=KID, token="t", tenant="x"
        )
