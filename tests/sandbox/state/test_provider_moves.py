"""The provider's own moves: allowed only from the right states, and their messages are schema-valid."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import NegotiationError, TransferError
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.transfer import (
    TransferCompletionMessage,
    TransferStartMessage,
    TransferState,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm

from ._support import (
    CALLBACK,
    CPID,
    DATASET,
    PPID,
    PROVIDER_ADDRESS,
    T0,
    assert_schema_valid,
    make_agreement,
    make_offer,
    negotiation,
    pull_address,
    transfer,
)

N = NegotiationState
T = TransferState

NEGOTIATION_MOVES = {
    "offer": (
        {N.REQUESTED},
        N.OFFERED,
        lambda r: nsm.offer(
            r, make_offer("urn:uuid:p-offer", target=None), provider_address=PROVIDER_ADDRESS, now=T0
        ),
    ),
    "agree": (
        {N.REQUESTED, N.ACCEPTED},
        N.AGREED,
        lambda r: nsm.agree(r, make_agreement(), provider_address=PROVIDER_ADDRESS, now=T0),
    ),
    "finalize": ({N.VERIFIED}, N.FINALIZED, lambda r: nsm.finalize(r, now=T0)),
    "terminate": (
        {s for s in N if not s.is_final},
        N.TERMINATED,
        lambda r: nsm.terminate(r, "P1", ["provider says no"], now=T0),
    ),
}
NEGOTIATION_PATHS = {
    "offer": "offers",
    "agree": "agreement",
    "finalize": "events",
    "terminate": "termination",
}


@pytest.mark.parametrize("state", list(N))
@pytest.mark.parametrize("move", list(NEGOTIATION_MOVES))
def test_negotiation_moves(move: str, state: N) -> None:
    allowed, target, run = NEGOTIATION_MOVES[move]
    record = negotiation(state)
    if state not in allowed:
        with pytest.raises(NegotiationError, match=f"in state {state.value}"):
            run(record)
        return
    step = run(record)
    assert step.record.state is target and step.record.version == record.version + 1
    assert step.record.updated_at == T0
    message = step.message
    assert (message.provider_pid, message.consumer_pid) == (PPID, CPID)  # type: ignore[attr-defined]
    assert step.callback.callback_address == CALLBACK
    assert step.callback.path == f"/negotiations/{CPID}/{NEGOTIATION_PATHS[move]}"
    assert step.callback.url == f"{CALLBACK.rstrip('/')}/negotiations/{CPID}/{NEGOTIATION_PATHS[move]}"
    assert_schema_valid(message)


def test_offer_fills_the_target_and_records_the_author() -> None:
    step = nsm.offer(
        negotiation(N.REQUESTED),
        make_offer("urn:uuid:p-offer", target=None),
        provider_address=PROVIDER_ADDRESS,
    )
    assert isinstance(step.message, ContractOfferMessage)
    assert step.message.offer.target == DATASET and step.message.callback_address == PROVIDER_ADDRESS
    assert step.record.offer_from == "provider" and step.record.offer_id == "urn:uuid:p-offer"


def test_offer_needs_an_id_and_a_target() -> None:
    with pytest.raises(NegotiationError, match="@id"):
        nsm.offer(negotiation(N.REQUESTED), make_offer(""))
    with pytest.raises(NegotiationError, match="target"):
        nsm.offer(negotiation(N.REQUESTED, dataset_id=None), make_offer(target=None))


def test_agree_fills_target_and_timestamp_and_keeps_the_agreement() -> None:
    step = nsm.agree(negotiation(N.ACCEPTED), make_agreement(), now=T0)
    assert isinstance(step.message, ContractAgreementMessage)
    agreement = step.message.agreement
    assert (agreement.target, agreement.timestamp) == (DATASET, "2026-01-01T12:00:00Z")
    assert step.record.agreement == agreement


def test_agree_needs_assigner_and_assignee() -> None:
    with pytest.raises(NegotiationError, match="assignee"):
        nsm.agree(negotiation(N.REQUESTED), make_agreement().model_copy(update={"assignee": None}))
    with pytest.raises(NegotiationError, match="target"):
        nsm.agree(negotiation(N.REQUESTED, dataset_id=None), make_agreement())


def test_finalize_and_terminate_messages() -> None:
    final = nsm.finalize(negotiation(N.VERIFIED)).message
    assert final == ContractNegotiationEventMessage(
        provider_pid=PPID, consumer_pid=CPID, event_type=NegotiationEventType.FINALIZED
    )
    step = nsm.terminate(negotiation(N.OFFERED))
    assert step.message == ContractNegotiationTerminationMessage(provider_pid=PPID, consumer_pid=CPID)
    assert step.record.terminated_by == "provider"
    assert_schema_valid(step.message)  # no code, no reason: still valid (an empty reason is left out)


TRANSFER_MOVES = {
    "start": ({T.REQUESTED, T.SUSPENDED}, T.STARTED, "start", lambda r: tsm.start(r, pull_address(), now=T0)),
    "resume": ({T.SUSPENDED}, T.STARTED, "start", lambda r: tsm.resume(r, now=T0)),
    "suspend": (
        {T.STARTED},
        T.SUSPENDED,
        "suspension",
        lambda r: tsm.suspend(r, "S", ["maintenance"], now=T0),
    ),
    "complete": ({T.STARTED}, T.COMPLETED, "completion", lambda r: tsm.complete(r, now=T0)),
    "terminate": (
        {T.REQUESTED, T.STARTED, T.SUSPENDED},
        T.TERMINATED,
        "termination",
        lambda r: tsm.terminate(r, "X", ["stop"], now=T0),
    ),
}


@pytest.mark.parametrize("state", list(T))
@pytest.mark.parametrize("move", list(TRANSFER_MOVES))
def test_transfer_moves(move: str, state: T) -> None:
    allowed, target, leaf, run = TRANSFER_MOVES[move]
    record = transfer(state)
    if state not in allowed:
        with pytest.raises(TransferError, match=f"in state {state.value}"):
            run(record)
        return
    step = run(record)
    assert step.record.state is target and step.record.version == record.version + 1
    assert step.record.changed_by == "provider"
    assert step.callback.path == f"/transfers/{CPID}/{leaf}"
    assert_schema_valid(step.message)


def test_pull_start_needs_a_data_address_push_does_not() -> None:
    with pytest.raises(TransferError, match="data address"):
        tsm.start(transfer(T.REQUESTED))
    push = tsm.start(transfer(T.REQUESTED, kind="push"))
    assert push.message == TransferStartMessage(provider_pid=PPID, consumer_pid=CPID)
    step = tsm.start(transfer(T.REQUESTED), pull_address())
    assert step.record.start_address == pull_address()
    assert isinstance(step.message, TransferStartMessage) and step.message.data_address == pull_address()


def test_resume_reuses_the_last_pull_address_and_clears_the_suspension() -> None:
    suspended = tsm.suspend(tsm.start(transfer(T.REQUESTED), pull_address()).record, "S1", ["pause"]).record
    assert (suspended.code, suspended.reason) == ("S1", ("pause",))
    resumed = tsm.resume(suspended)
    assert (
        isinstance(resumed.message, TransferStartMessage) and resumed.message.data_address == pull_address()
    )
    assert (resumed.record.code, resumed.record.reason) == (None, ())


def test_transfer_messages_types() -> None:
    started = transfer(T.STARTED)
    assert isinstance(tsm.suspend(started).message, TransferSuspensionMessage)
    assert isinstance(tsm.complete(started).message, TransferCompletionMessage)
    assert isinstance(tsm.terminate(started).message, TransferTerminationMessage)
