"""EDC's negotiation and transfer states map to the DSP state they are in or lead to."""

from __future__ import annotations

import pytest

from d4h_sdk import ResponseValidationError
from d4h_sdk.connectors._edc_api import (
    NEGOTIATION_STATES,
    negotiation_state,
    transfer_state,
)
from d4h_sdk.models.negotiation import NegotiationState as N
from d4h_sdk.models.transfer import TransferState as T

NEGOTIATIONS = {
    "INITIAL": N.REQUESTED,
    "REQUESTING": N.REQUESTED,
    "REQUESTED": N.REQUESTED,
    "OFFERING": N.OFFERED,
    "OFFERED": N.OFFERED,
    "ACCEPTING": N.ACCEPTED,
    "ACCEPTED": N.ACCEPTED,
    "AGREEING": N.AGREED,
    "AGREED": N.AGREED,
    "VERIFYING": N.VERIFIED,
    "VERIFIED": N.VERIFIED,
    "FINALIZING": N.FINALIZED,
    "FINALIZED": N.FINALIZED,
    "TERMINATING": N.TERMINATED,
    "TERMINATED": N.TERMINATED,
}

TRANSFERS = {
    "INITIAL": T.REQUESTED,
    "PROVISIONING": T.REQUESTED,
    "PROVISIONING_REQUESTED": T.REQUESTED,
    "PROVISIONED": T.REQUESTED,
    "REQUESTING": T.REQUESTED,
    "REQUESTED": T.REQUESTED,
    "STARTING": T.STARTED,
    "STARTUP_REQUESTED": T.STARTED,
    "STARTED": T.STARTED,
    "SUSPENDING": T.SUSPENDED,
    "SUSPENDING_REQUESTED": T.SUSPENDED,
    "SUSPENDED": T.SUSPENDED,
    "RESUMING": T.STARTED,
    "RESUMED": T.STARTED,
    "COMPLETING": T.COMPLETED,
    "COMPLETING_REQUESTED": T.COMPLETED,
    "COMPLETED": T.COMPLETED,
    "TERMINATING": T.TERMINATED,
    "TERMINATING_REQUESTED": T.TERMINATED,
    "TERMINATED": T.TERMINATED,
}


@pytest.mark.parametrize(("raw", "expected"), sorted(NEGOTIATIONS.items()))
def test_negotiation_states(raw: str, expected: N) -> None:
    assert negotiation_state(raw) is expected


def test_the_negotiation_table_covers_exactly_edcs_states() -> None:
    assert set(NEGOTIATION_STATES) == set(NEGOTIATIONS)


@pytest.mark.parametrize(("raw", "expected"), sorted(TRANSFERS.items()))
def test_transfer_states(raw: str, expected: T) -> None:
    assert transfer_state(raw, failed=False) is expected


@pytest.mark.parametrize("raw", ["DEPROVISIONING", "DEPROVISIONING_REQUESTED", "DEPROVISIONED"])
def test_deprovisioning_follows_the_outcome(raw: str) -> None:
    assert transfer_state(raw, failed=False) is T.COMPLETED
    assert transfer_state(raw, failed=True) is T.TERMINATED


def test_unknown_states_are_clear_errors() -> None:
    with pytest.raises(ResponseValidationError, match="unknown negotiation state 'PONDERING'"):
        negotiation_state("PONDERING")
    with pytest.raises(ResponseValidationError, match="unknown transfer state 'TELEPORTING'"):
        transfer_state("TELEPORTING", failed=False)


@pytest.mark.parametrize(
    ("detail", "code", "reason"),
    [
        (None, None, ()),
        ("", None, ()),
        ("POLICY_PROHIBITED: the purpose is prohibited", "POLICY_PROHIBITED", ("the purpose is prohibited",)),
        ("Contract rejected: purpose not allowed", None, ("Contract rejected: purpose not allowed",)),
    ],
)
def test_error_detail_carries_the_provider_code(
    detail: str | None, code: str | None, reason: tuple[str, ...]
) -> None:
    """EDC has no code field: a provider's code is the start of errorDetail, and is split off."""
    from d4h_sdk.connectors._edc_api import error_fields

    assert error_fields(detail) == (code, reason)
