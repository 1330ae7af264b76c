"""The DSP TCK provider scenarios (CN:01-01 .. CN:03-04, TP:01-01 .. TP:03-06) driven through the machines."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from d4h_sdk.models.negotiation import (
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractRequestMessage,
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
    CPID,
    DIALECTS,
    PROVIDER_ADDRESS,
    initial_request,
    make_agreement,
    make_offer,
    pids,
    pull_address,
    transfer_request,
    via_wire,
)

N = NegotiationState
T = TransferState


class Negotiation:
    """Plays one negotiation: consumer steps go over the wire, provider steps call the moves."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        outcome = nsm.on_message(None, via_wire(initial_request(), dialect), make_pid=pids())
        assert outcome.status == 201 and outcome.record is not None
        self.record = outcome.record
        self.last_status = 201

    def consumer(self, kind: str) -> None:
        pp, cp = self.record.provider_pid, CPID
        message = {
            "request": lambda: ContractRequestMessage(
                provider_pid=pp,
                consumer_pid=cp,
                offer=make_offer("urn:uuid:c2"),
                callback_address="https://c.example/cb",
            ),
            "accepted": lambda: ContractNegotiationEventMessage(
                provider_pid=pp, consumer_pid=cp, event_type=NegotiationEventType.ACCEPTED
            ),
            "verify": lambda: ContractAgreementVerificationMessage(provider_pid=pp, consumer_pid=cp),
            "terminate": lambda: ContractNegotiationTerminationMessage(
                provider_pid=pp, consumer_pid=cp, reason=("bye",)
            ),
        }[kind]()
        outcome = nsm.on_message(self.record, via_wire(message, self.dialect))
        self.last_status = outcome.status
        assert outcome.record is not None
        self.record = outcome.record

    def provider(self, kind: str) -> None:
        moves: dict[str, Callable[[], nsm.Step[nsm.NegotiationRecord]]] = {
            "offer": lambda: nsm.offer(
                self.record, make_offer("urn:uuid:p1"), provider_address=PROVIDER_ADDRESS
            ),
            "agree": lambda: nsm.agree(self.record, make_agreement(), provider_address=PROVIDER_ADDRESS),
            "finalize": lambda: nsm.finalize(self.record),
            "terminate": lambda: nsm.terminate(self.record, "P", ["no"]),
        }
        self.record = moves[kind]().record


CN = [
    ("CN:01-01", ["P offer", "C terminate"], N.TERMINATED, 200),
    ("CN:01-02", ["P offer", "C request", "P terminate"], N.TERMINATED, 200),
    ("CN:01-03", ["P offer", "C accepted", "P agree", "C verify", "P finalize"], N.FINALIZED, 200),
    ("CN:01-04", ["P agree", "C verify", "P finalize"], N.FINALIZED, 200),
    ("CN:02-01", ["P terminate"], N.TERMINATED, 201),
    ("CN:02-02", ["C terminate"], N.TERMINATED, 200),
    ("CN:02-03", ["P agree", "C terminate"], N.TERMINATED, 200),
    ("CN:02-04", ["P offer", "C terminate"], N.TERMINATED, 200),
    ("CN:02-05", ["P offer", "P terminate"], N.TERMINATED, 201),
    ("CN:02-06", ["P offer", "C accepted", "P terminate"], N.TERMINATED, 200),
    ("CN:02-07", ["P agree", "C verify", "P terminate"], N.TERMINATED, 200),
    ("CN:03-01", ["P agree", "C verify", "P finalize", "C terminate"], N.FINALIZED, 400),
    ("CN:03-02", ["P offer", "C verify"], N.OFFERED, 400),
    ("CN:03-03", ["P offer", "C accepted", "C verify"], N.ACCEPTED, 400),
    ("CN:03-04", ["P offer", "C request", "C request"], N.REQUESTED, 400),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("scenario", "steps", "final", "last_status"), CN, ids=[row[0] for row in CN])
def test_contract_negotiation_scenarios(
    scenario: str, steps: list[str], final: N, last_status: int, dialect: str
) -> None:
    flow = Negotiation(dialect)
    for step in steps:
        side, kind = step.split()
        (flow.consumer if side == "C" else flow.provider)(kind)
    assert flow.record.state is final, scenario
    assert flow.last_status == last_status, scenario  # the status of the last consumer message (201: none)


class Transfer:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        outcome = tsm.on_message(None, via_wire(transfer_request(), dialect), make_pid=pids())
        assert outcome.status == 201 and outcome.record is not None
        self.record = outcome.record
        self.last_status = 201

    def consumer(self, kind: str) -> None:
        pp = self.record.provider_pid
        message = {
            "start": lambda: TransferStartMessage(provider_pid=pp, consumer_pid=CPID),
            "complete": lambda: TransferCompletionMessage(provider_pid=pp, consumer_pid=CPID),
            "suspend": lambda: TransferSuspensionMessage(provider_pid=pp, consumer_pid=CPID),
            "terminate": lambda: TransferTerminationMessage(provider_pid=pp, consumer_pid=CPID),
        }[kind]()
        outcome = tsm.on_message(self.record, via_wire(message, self.dialect))
        self.last_status = outcome.status
        assert outcome.record is not None
        self.record = outcome.record

    def provider(self, kind: str) -> None:
        moves: dict[str, Callable[[], nsm.Step[tsm.TransferRecord]]] = {
            "start": lambda: tsm.start(self.record, pull_address()),
            "complete": lambda: tsm.complete(self.record),
            "suspend": lambda: tsm.suspend(self.record),
            "terminate": lambda: tsm.terminate(self.record),
        }
        self.record = moves[kind]().record


TP = [
    ("TP:01-01", ["P start", "P terminate"], T.TERMINATED, None),
    ("TP:01-02", ["P start", "P complete"], T.COMPLETED, None),
    ("TP:01-03", ["P start", "P suspend", "P terminate"], T.TERMINATED, None),
    ("TP:01-04", ["P start", "P suspend", "P start", "P complete"], T.COMPLETED, None),
    ("TP:01-05", ["P terminate"], T.TERMINATED, None),
    ("TP:02-01", ["P start", "C terminate"], T.TERMINATED, 200),
    ("TP:02-02", ["P start", "C complete"], T.COMPLETED, 200),
    ("TP:02-03", ["P start", "C suspend", "C terminate"], T.TERMINATED, 200),
    ("TP:02-04", ["P start", "C suspend", "C start", "C complete"], T.COMPLETED, 200),
    ("TP:02-05", ["C terminate"], T.TERMINATED, 200),
    ("TP:03-01", ["C complete"], T.REQUESTED, 400),
    ("TP:03-02", ["C suspend"], T.REQUESTED, 400),
    ("TP:03-03", ["P start", "C suspend", "C complete"], T.SUSPENDED, 400),
    ("TP:03-04", ["P start", "C terminate", "C start"], T.TERMINATED, 400),
    ("TP:03-05", ["P start", "C terminate", "C suspend"], T.TERMINATED, 400),
    ("TP:03-06", ["P start", "C terminate", "C complete"], T.TERMINATED, 400),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("scenario", "steps", "final", "last_status"), TP, ids=[row[0] for row in TP])
def test_transfer_process_scenarios(
    scenario: str, steps: list[str], final: T, last_status: int | None, dialect: str
) -> None:
    flow = Transfer(dialect)
    for step in steps:
        side, kind = step.split()
        (flow.consumer if side == "C" else flow.provider)(kind)
    assert flow.record.state is final, scenario
    if last_status is not None:
        assert flow.last_status == last_status, scenario
