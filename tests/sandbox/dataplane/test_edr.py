"""EDR tokens: issue, validate, expiry, revocation generations, and the pull data address."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    UntrustedIssuerError,
    VerificationError,
)
from d4h_sdk.identity.jose import peek
from d4h_sdk.identity.signing import LocalKeySigner, generate_key
from d4h_sdk.models import EndpointDataReference
from d4h_sdk.sandbox._edr import (
    HTTP_ENDPOINT_TYPE,
    EdrTokenIssuer,
    EdrTokenValidator,
    RevocationList,
    pull_data_address,
)

from .conftest import CONSUMER, PROVIDER, Clock


def _pair(
    signer: LocalKeySigner, clock: Clock, revocations: RevocationList | None = None
) -> tuple[EdrTokenIssuer, EdrTokenValidator, RevocationList]:
    revocations = revocations if revocations is not None else RevocationList()
    issuer = EdrTokenIssuer(signer, issuer_did=PROVIDER, lifetime_s=60, clock=clock, revocations=revocations)
    validator = EdrTokenValidator(
        signer.public_jwk(), issuer_did=PROVIDER, revocations=revocations, clock=clock
    )
    return issuer, validator, revocations


def _issue(issuer: EdrTokenIssuer, transfer_id: str = "tp-1") -> str:
    return issuer.issue(
        transfer_id=transfer_id, agreement_id="agr-1", dataset_id="ds-1", audience=CONSUMER
    ).token


def test_token_binds_transfer_agreement_dataset_and_audience(signer: LocalKeySigner, clock: Clock) -> None:
    issuer, validator, _ = _pair(signer, clock)
    issued = issuer.issue(transfer_id="tp-1", agreement_id="agr-1", dataset_id="ds-1", audience=CONSUMER)
    header, raw = peek(issued.token)
    assert header["alg"] == "ES256" and header["kid"] == PROVIDER + "#edr-1"
    assert raw["exp"] - raw["iat"] == 60 and raw["jti"] == issued.token_id
    assert issued.expires_at == raw["exp"] and issued.token not in repr(issued)
    claims = validator.validate(issued.token, audience=CONSUMER)
    assert (claims.transfer_id, claims.agreement_id, claims.dataset_id) == ("tp-1", "agr-1", "ds-1")
    assert claims.audience == CONSUMER and claims.issuer == PROVIDER
    assert issuer.issue(transfer_id="tp-1", agreement_id="a", dataset_id="d", audience=CONSUMER).token_id != (
        issued.token_id
    )


def test_expired_token_is_refused_after_leeway(signer: LocalKeySigner, clock: Clock) -> None:
    issuer, validator, _ = _pair(signer, clock)
    token = _issue(issuer)
    clock.now += 60 + 4
    validator.validate(token)  # within the 5 s leeway
    clock.now += 2
    with pytest.raises(ExpiredTokenError):
        validator.validate(token)


def test_wrong_audience_issuer_and_key_are_refused(signer: LocalKeySigner, clock: Clock) -> None:
    issuer, validator, revocations = _pair(signer, clock)
    with pytest.raises(InvalidClaimsError):
        validator.validate(_issue(issuer), audience="did:web:someone-else")
    other = EdrTokenIssuer(signer, issuer_did="did:web:mallory", clock=clock, revocations=revocations)
    with pytest.raises(UntrustedIssuerError):
        validator.validate(_issue(other))
    forger = generate_key("P-256", key_id=PROVIDER + "#edr-1")
    forged = EdrTokenIssuer(forger, issuer_did=PROVIDER, clock=clock, revocations=revocations)
    with pytest.raises(InvalidSignatureError):
        validator.validate(_issue(forged))
    ed_key = generate_key("Ed25519", key_id=PROVIDER + "#edr-1")
    with pytest.raises(InvalidSignatureError):  # alg allow-list comes from the validator's key
        validator.validate(_issue(EdrTokenIssuer(ed_key, issuer_did=PROVIDER, clock=clock)))


def test_suspension_revokes_and_resumption_accepts_only_new_tokens(
    signer: LocalKeySigner, clock: Clock
) -> None:
    issuer, validator, revocations = _pair(signer, clock)
    old = _issue(issuer)
    other_transfer = _issue(issuer, "tp-2")
    revocations.revoke("tp-1")
    with pytest.raises(VerificationError, match="revoked"):
        validator.validate(old)
    validator.validate(other_transfer)
    revocations.reinstate("tp-1")
    new = _issue(issuer)  # same second as the suspension: told apart by generation, not by time
    assert validator.validate(new).transfer_id == "tp-1"
    with pytest.raises(VerificationError, match="before a suspension"):
        validator.validate(old)


def test_termination_is_final(signer: LocalKeySigner, clock: Clock) -> None:
    issuer, validator, revocations = _pair(signer, clock)
    revocations.terminate("tp-1")
    with pytest.raises(VerificationError):
        validator.validate(_issue(issuer))
    with pytest.raises(ConfigurationError):
        revocations.reinstate("tp-1")


def test_issuer_options_are_checked(signer: LocalKeySigner, clock: Clock) -> None:
    with pytest.raises(ConfigurationError):
        EdrTokenIssuer(signer, issuer_did="", clock=clock)
    with pytest.raises(ConfigurationError):
        EdrTokenIssuer(signer, issuer_did=PROVIDER, lifetime_s=0)
    issuer = EdrTokenIssuer(signer, issuer_did=PROVIDER, clock=clock)
    with pytest.raises(ConfigurationError):
        issuer.issue(transfer_id="", agreement_id="a", dataset_id="d", audience=CONSUMER)


def test_pull_data_address_becomes_an_edr() -> None:
    address = pull_data_address(
        "http://127.0.0.1:9/data/tp-1",
        "TOKEN-SECRET",
        expires_at=1_800_000_300.0,
        lifetime_s=300,
        transfer_id="tp-1",
        agreement_id="agr-1",
    )
    assert address.endpoint_type == HTTP_ENDPOINT_TYPE
    assert address.property("authorization") == "TOKEN-SECRET" and address.property("authType") == "bearer"
    assert address.property("endpoint") == "http://127.0.0.1:9/data/tp-1"
    assert address.property("expiresIn") == "300" and address.property("expiresAt") == "1800000300"
    assert "TOKEN-SECRET" not in repr(address)
    edr = EndpointDataReference.from_data_address(
        address, transfer_id="tp-1", expires_at=address.property("expiresAt")
    )
    assert edr.endpoint == "http://127.0.0.1:9/data/tp-1" and edr.authorization == "TOKEN-SECRET"
    assert edr.auth_type == "bearer" and edr.expires_at == 1_800_000_300.0
    with pytest.raises(ConfigurationError):
        pull_data_address("file:///etc/passwd", "TOKEN")
