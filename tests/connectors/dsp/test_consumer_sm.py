"""The pure consumer state machine: the DSP transition tables, duplicates, and never going backwards."""

from __future__ import annotations

import pytest

from d4h_sdk.connectors import _dsp_consumer_sm as sm
from d4h_sdk.errors import NegotiationError, TransferError
from d4h_sdk.models import (
    Offer,
    TransferCompletionMessage,
    TransferStartMessage,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import NegotiationState as N
from d4h_sdk.models.transfer import TransferState as T

PIDS = {"provider_pid": "urn:uuid:p", "consumer_pid": "urn:uuid:c"}


def transfer(state: T) -> sm.TransferRecord:
    return sm.TransferRecord("urn:uuid:c", "urn:uuid:p", state, "urn:uuid:a", "HttpData-PULL")


MESSAGES: dict[str, WireModel] = {
    "start": TransferStartMessage(**PIDS),
    "completion": TransferCompletionMessage(**PIDS),
    "suspension": TransferSuspensionMessage(**PIDS, reason=("x",)),
    "termination": TransferTerminationMessage(**PIDS, code="C"),
}
# (state, message) -> resulting state, or None when refused (400); the DSP table plus idempotent duplicates
TABLE = {
    (T.REQUESTED, "start"): T.STARTED,
    (T.REQUESTED, "completion"): None,
    (T.REQUESTED, "suspension"): None,
    (T.REQUESTED, "termination"): T.TERMINATED,
    (T.STARTED, "start"): T.STARTED,
    (T.STARTED, "completion"): T.COMPLETED,
    (T.STARTED, "suspension"): T.SUSPENDED,
    (T.STARTED, "termination"): T.TERMINATED,
    (T.SUSPENDED, "start"): T.STARTED,
    (T.SUSPENDED, "completion"): None,
    (T.SUSPENDED, "suspension"): T.SUSPENDED,
    (T.SUSPENDED, "termination"): T.TERMINATED,
    (T.COMPLETED, "start"): None,
    (T.COMPLETED, "completion"): T.COMPLETED,
    (T.COMPLETED, "suspension"): None,
    (T.COMPLETED, "termination"): None,
    (T.TERMINATED, "start"): None,
    (T.TERMINATED, "completion"): None,
    (T.TERMINATED, "suspension"): None,
    (T.TERMINATED, "termination"): T.TERMINATED,
}


@pytest.mark.parametrize(("state", "leaf"), sorted(TABLE, key=str))
def test_transfer_table(state: T, leaf: str) -> None:
    verdict = sm.on_transfer_message(transfer(state), MESSAGES[leaf])
    expected = TABLE[(state, leaf)]
    if expected is None:
        assert verdict.status == 400 and verdict.error and verdict.record.state is state
    else:
        assert verdict.status == 200 and verdict.record.state is expected
        assert (verdict.record.version == 0) == (expected is state)  # a duplicate changes nothing


def test_advance_never_goes_backwards() -> None:
    record = sm.NegotiationRecord("urn:uuid:c", "urn:uuid:p", N.FINALIZED, Offer(id="urn:uuid:o"))
    assert sm.advance(record, N.VERIFIED) is record
    agreed = sm.NegotiationRecord("urn:uuid:c", "urn:uuid:p", N.AGREED, Offer(id="urn:uuid:o"))
    assert sm.advance(agreed, N.REQUESTED) is agreed
    assert sm.advance(agreed, N.VERIFIED).state is N.VERIFIED
    assert sm.advance(transfer(T.STARTED), T.SUSPENDED).state is T.SUSPENDED  # the one cycle
    assert sm.advance(transfer(T.COMPLETED), T.TERMINATED).state is T.COMPLETED


def test_local_moves_are_checked() -> None:
    offered = sm.NegotiationRecord("urn:uuid:c", "urn:uuid:p", N.OFFERED, Offer(id="urn:uuid:o"))
    sm.check_move(offered, "accept")
    with pytest.raises(NegotiationError, match="cannot verify"):
        sm.check_move(offered, "verify")
    with pytest.raises(TransferError, match="cannot resume"):
        sm.check_move(transfer(T.STARTED), "resume")
    sm.check_move(transfer(T.SUSPENDED), "terminate-transfer")


def test_reason_texts_and_same_offer() -> None:
    assert sm.reason_texts(["a", {"@value": "b", "@language": "en"}, 3]) == ("a", "b", "3")
    assert sm.same_offer(Offer(id="urn:uuid:o"), Offer(id="urn:uuid:o", type=None))
    assert not sm.same_offer(Offer(id="urn:uuid:o"), Offer(id="urn:uuid:other"))
