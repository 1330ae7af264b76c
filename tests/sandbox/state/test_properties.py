"""Property tests: random message sequences never reach an invalid state; terminal states are absorbing."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from d4h_sdk.errors import NegotiationError, TransferError
from d4h_sdk.models.negotiation import ContractNegotiationError, NegotiationState
from d4h_sdk.models.transfer import TransferError as TransferErrorBody
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm

from ._support import (
    NEGOTIATION_MESSAGES,
    PPID,
    TRANSFER_MESSAGES,
    initial_request,
    make_agreement,
    make_offer,
    pull_address,
    transfer_request,
)

N = NegotiationState
T = TransferState

# Every legal edge of the DSP state machines (who moves is not part of the check).
NEGOTIATION_EDGES = {
    (N.REQUESTED, N.OFFERED),
    (N.REQUESTED, N.AGREED),
    (N.OFFERED, N.REQUESTED),
    (N.OFFERED, N.ACCEPTED),
    (N.ACCEPTED, N.AGREED),
    (N.AGREED, N.VERIFIED),
    (N.VERIFIED, N.FINALIZED),
    *{(state, N.TERMINATED) for state in N if not state.is_final},
}
TRANSFER_EDGES = {
    (T.REQUESTED, T.STARTED),
    (T.STARTED, T.SUSPENDED),
    (T.STARTED, T.COMPLETED),
    (T.SUSPENDED, T.STARTED),
    *{(state, T.TERMINATED) for state in T if not state.is_final},
}

NEGOTIATION_MOVES: dict[str, Any] = {
    "P offer": lambda r: nsm.offer(r, make_offer("urn:uuid:p"), provider_address="https://p.example"),
    "P agree": lambda r: nsm.agree(r, make_agreement()),
    "P finalize": nsm.finalize,
    "P terminate": lambda r: nsm.terminate(r, "P", ["no"]),
}
TRANSFER_MOVES: dict[str, Any] = {
    "P start": lambda r: tsm.start(r, pull_address()),
    "P resume": tsm.resume,
    "P suspend": tsm.suspend,
    "P complete": tsm.complete,
    "P terminate": tsm.terminate,
}

NEGOTIATION_TARGETS = {
    "P offer": N.OFFERED,
    "P agree": N.AGREED,
    "P finalize": N.FINALIZED,
    "P terminate": N.TERMINATED,
}
TRANSFER_TARGETS = {
    "P start": T.STARTED,
    "P resume": T.STARTED,
    "P suspend": T.SUSPENDED,
    "P complete": T.COMPLETED,
    "P terminate": T.TERMINATED,
}


def _pid() -> str:
    return PPID


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(sorted([*NEGOTIATION_MESSAGES, *NEGOTIATION_MOVES, "C initial"])), max_size=14)
)
def test_negotiation_sequences_stay_valid(steps: list[str]) -> None:
    outcome = nsm.on_message(None, initial_request(), make_pid=_pid)
    record = outcome.record
    assert record is not None
    for step in steps:
        before = record
        if step in NEGOTIATION_MOVES:
            try:
                record = NEGOTIATION_MOVES[step](record).record
            except NegotiationError:
                # a move is refused exactly when its edge is not in the state machine
                assert (before.state, NEGOTIATION_TARGETS[step]) not in NEGOTIATION_EDGES
                continue
        else:
            message = initial_request() if step == "C initial" else NEGOTIATION_MESSAGES[step]()
            outcome = nsm.on_message(record, message)
            assert outcome.status in (200, 201, 400)
            if outcome.status == 400:
                assert outcome.record is before and isinstance(outcome.body, ContractNegotiationError)
                continue
            assert outcome.record is not None
            record = outcome.record
        if record is before:
            continue  # an idempotent re-sent request
        assert before.state.is_final is False, "a terminal state was left"
        assert (before.state, record.state) in NEGOTIATION_EDGES
        assert record.version == before.version + 1
        if record.state in (N.AGREED, N.VERIFIED, N.FINALIZED):
            assert record.agreement is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted([*TRANSFER_MESSAGES, *TRANSFER_MOVES, "C request"])), max_size=14))
def test_transfer_sequences_stay_valid(steps: list[str]) -> None:
    record = tsm.on_message(None, transfer_request(), make_pid=_pid).record
    assert record is not None
    for step in steps:
        before = record
        if step in TRANSFER_MOVES:
            try:
                record = TRANSFER_MOVES[step](record).record
            except TransferError:
                if step != "P resume":  # resume is start restricted to SUSPENDED
                    assert (before.state, TRANSFER_TARGETS[step]) not in TRANSFER_EDGES
                continue
        else:
            message = transfer_request() if step == "C request" else TRANSFER_MESSAGES[step]()
            outcome = tsm.on_message(record, message)
            assert outcome.status in (200, 201, 400)
            if outcome.status == 400:
                assert outcome.record is before and isinstance(outcome.body, TransferErrorBody)
                continue
            assert outcome.record is not None
            record = outcome.record
        if record is before:
            continue
        assert not before.state.is_final, "a terminal state was left"
        assert (before.state, record.state) in TRANSFER_EDGES
        assert record.version == before.version + 1
        if record.state is T.STARTED:
            assert record.start_address is not None  # a pull transfer always has somewhere to pull from


@given(
    st.sampled_from([s for s in N if s.is_final]),
    st.sampled_from(sorted(NEGOTIATION_MESSAGES)),
    st.sampled_from(sorted(NEGOTIATION_MOVES)),
)
def test_negotiation_terminal_states_are_absorbing(state: N, name: str, move: str) -> None:
    from ._support import negotiation

    record = negotiation(state)
    outcome = nsm.on_message(record, NEGOTIATION_MESSAGES[name]())
    if (name, state) == ("verification", N.FINALIZED):  # a re-sent verification: acknowledged, no change
        assert (outcome.status, outcome.record) == (200, record)
    else:
        assert outcome.status == 400
    try:
        NEGOTIATION_MOVES[move](record)
    except NegotiationError:
        pass
    else:
        raise AssertionError(f"{move} left {state.value}")


@given(
    st.sampled_from([s for s in T if s.is_final]),
    st.sampled_from(sorted(TRANSFER_MESSAGES)),
    st.sampled_from(sorted(TRANSFER_MOVES)),
)
def test_transfer_terminal_states_are_absorbing(state: T, name: str, move: str) -> None:
    from ._support import transfer

    record = transfer(state)
    assert tsm.on_message(record, TRANSFER_MESSAGES[name]()).status == 400
    try:
        TRANSFER_MOVES[move](record)
    except TransferError:
        pass
    else:
        raise AssertionError(f"{move} left {state.value}")
