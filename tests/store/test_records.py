"""Record validation, normalisation, secrecy and EDR freshness."""

from __future__ import annotations

import math

import pytest

from d4h_sdk.errors import ConfigurationError

from .conftest import TOKEN, agreement, edr, negotiation, transfer


def test_token_is_not_in_repr_or_str() -> None:
    record = edr()
    assert TOKEN not in repr(record)
    assert TOKEN not in str(record)
    assert "agr-1" in repr(record)


def test_records_are_frozen_and_hashable() -> None:
    record = negotiation()
    with pytest.raises(AttributeError):
        record.state = "FINALIZED"  # type: ignore[misc]
    assert hash(record) == hash(negotiation())
    assert hash(edr()) == hash(edr())


def test_json_fields_are_normalised_copies() -> None:
    source = {"list": (1, 2), "nested": {"a": None}}
    record = negotiation(extra=source)
    assert record.extra == {"list": [1, 2], "nested": {"a": None}}
    source["nested"]["a"] = 1  # type: ignore[index]
    assert record.extra["nested"] == {"a": None}


def test_times_become_floats() -> None:
    record = transfer(created_at=5, updated_at=6)
    assert type(record.created_at) is float and record.created_at == 5.0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: negotiation(id=""), "NegotiationRecord.id"),
        (lambda: negotiation(backend=None), "NegotiationRecord.backend"),
        (lambda: negotiation(state=3), "NegotiationRecord.state"),
        (lambda: negotiation(provider_id=7), "NegotiationRecord.provider_id"),
        (lambda: negotiation(created_at=math.nan), "NegotiationRecord.created_at"),
        (lambda: negotiation(updated_at=True), "NegotiationRecord.updated_at"),
        (lambda: negotiation(extra={"when": object()}), "JSON-serialisable"),
        (lambda: negotiation(extra={"x": math.inf}), "JSON-serialisable"),
        (lambda: negotiation(extra=[1]), "mapping"),
        (lambda: agreement(policy="odrl"), "AgreementRecord.policy"),
        (lambda: transfer(agreement_id=None), "TransferRecord.agreement_id"),
        (lambda: edr(expires_at="soon"), "EdrRecord.expires_at"),
        (lambda: edr(stored_at=None), "EdrRecord.stored_at"),
    ],
)
def test_bad_fields_raise_configuration_error(build: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build()  # type: ignore[operator]


def test_bad_authorization_type_never_echoes_the_value() -> None:
    with pytest.raises(ConfigurationError) as caught:
        edr(authorization=b"raw-secret-bytes")
    assert "raw-secret-bytes" not in str(caught.value)


def test_is_fresh() -> None:
    record = edr(expires_at=1000.0)
    assert record.is_fresh(900.0)
    assert record.is_fresh(969.0)
    assert not record.is_fresh(970.0)  # inside the default 30 s margin
    assert record.is_fresh(999.0, margin_s=0)
    assert not record.is_fresh(1000.0, margin_s=0)
    assert not record.is_fresh(900.0, margin_s=200)
    assert edr(expires_at=None).is_fresh(1e12)
    assert not edr(authorization=None, expires_at=None).is_fresh(0.0)
    with pytest.raises(ConfigurationError, match="margin_s"):
        record.is_fresh(0.0, margin_s=-1)
