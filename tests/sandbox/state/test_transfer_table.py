"""Every (state, consumer message) pair of the provider's transfer machine, in both DSP dialects."""

from __future__ import annotations

import pytest

from d4h_sdk.models.transfer import TransferError, TransferProcess, TransferStartMessage, TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as sm

from ._support import (
    AGREEMENT_ID,
    CPID,
    DIALECTS,
    PPID,
    T0,
    TRANSFER_MESSAGES,
    assert_schema_valid,
    initial_request,
    pids,
    pull_address,
    transfer,
    transfer_request,
    via_wire,
)

S = TransferState

ACCEPTED: dict[tuple[str, TransferState], TransferState] = {
    ("start(resume)", S.SUSPENDED): S.STARTED,
    ("completion", S.STARTED): S.COMPLETED,
    ("suspension", S.STARTED): S.SUSPENDED,
    ("termination", S.REQUESTED): S.TERMINATED,
    ("termination", S.STARTED): S.TERMINATED,
    ("termination", S.SUSPENDED): S.TERMINATED,
}

TABLE = [
    pytest.param(name, state, ACCEPTED.get((name, state)), dialect, id=f"{dialect}-{state.value}-{name}")
    for dialect in DIALECTS
    for state in S
    for name in TRANSFER_MESSAGES
]


@pytest.mark.parametrize(("name", "state", "expected", "dialect"), TABLE)
def test_every_state_and_message(name: str, state: S, expected: S | None, dialect: str) -> None:
    record = transfer(state)
    outcome = sm.on_message(record, via_wire(TRANSFER_MESSAGES[name](), dialect), now=T0)
    if expected is None:
        assert outcome.status == 400, outcome
        assert outcome.record is record and outcome.effects == ()
        assert isinstance(outcome.body, TransferError)
        assert (outcome.body.provider_pid, outcome.body.consumer_pid) == (PPID, CPID)
        assert_schema_valid(outcome.body)
        return
    assert (outcome.status, outcome.body) == (200, None)
    assert outcome.record is not None and outcome.record.state is expected
    assert outcome.record.version == record.version + 1 and outcome.record.changed_by == "consumer"
    assert outcome.effects == (nsm.StateChanged(PPID, state, expected, "consumer"),)


def test_tck_forbidden_transitions_are_400() -> None:
    # TP:03-01 .. 03-06: REQUESTED->COMPLETED, REQUESTED->SUSPENDED, SUSPENDED->COMPLETED, anything after TERMINATED.
    for state, name in [
        (S.REQUESTED, "completion"),
        (S.REQUESTED, "suspension"),
        (S.SUSPENDED, "completion"),
        (S.TERMINATED, "start(resume)"),
        (S.TERMINATED, "suspension"),
        (S.TERMINATED, "completion"),
    ]:
        assert sm.on_message(transfer(state), TRANSFER_MESSAGES[name]()).status == 400, (state, name)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("fmt", "with_address", "kind"),
    [
        ("HttpData-PULL", False, "pull"),
        ("HttpData-PUSH", True, "push"),
        ("example:HTTP_PUSH", True, "push"),
        ("AmazonS3", True, "push"),
        ("AmazonS3", False, "pull"),
    ],
)
def test_request_creates_a_requested_process(dialect: str, fmt: str, with_address: bool, kind: str) -> None:
    message = transfer_request(fmt=fmt, data_address=pull_address() if with_address else None)
    outcome = sm.on_message(None, via_wire(message, dialect), now=T0, make_pid=pids(), dialect=dialect)
    assert outcome.status == 201
    record = outcome.record
    assert record is not None
    assert (record.state, record.kind, record.version, record.agreement_id) == (
        S.REQUESTED,
        kind,
        1,
        AGREEMENT_ID,
    )
    assert (record.data_address is not None) == with_address
    assert outcome.body == TransferProcess(
        provider_pid=record.provider_pid, consumer_pid=CPID, state=S.REQUESTED
    )
    assert_schema_valid(outcome.body)
    check, changed = outcome.effects
    assert check == nsm.CheckAgreement(record.provider_pid, AGREEMENT_ID, fmt, kind == "push", None)
    assert changed == nsm.StateChanged(record.provider_pid, None, S.REQUESTED, "consumer")


def test_push_request_without_a_data_address_is_400() -> None:
    outcome = sm.on_message(None, transfer_request(fmt="HttpData-PUSH"))
    assert outcome.status == 400 and outcome.record is None
    assert isinstance(outcome.body, TransferError) and outcome.body.code == "MISSING_DATA_ADDRESS"


@pytest.mark.parametrize("state", list(S))
def test_resent_request_returns_the_process(state: S) -> None:
    record = transfer(state)
    outcome = sm.on_message(record, transfer_request())
    assert (outcome.status, outcome.record, outcome.body) == (201, record, record.ack())
    if state is S.STARTED:  # "answered with an appropriate TransferStartMessage"
        (send,) = outcome.effects
        assert isinstance(send, nsm.SendCallback) and send.path == f"/transfers/{CPID}/start"
        assert send.message == TransferStartMessage(
            provider_pid=PPID, consumer_pid=CPID, data_address=pull_address()
        )
    else:
        assert outcome.effects == ()


def test_consumer_pid_reused_for_another_agreement_is_a_conflict() -> None:
    message = transfer_request().model_copy(update={"agreement_id": "urn:uuid:other"})
    outcome = sm.on_message(transfer(S.STARTED), message)
    assert outcome.status == 409
    assert isinstance(outcome.body, TransferError)
    assert_schema_valid(outcome.body)


@pytest.mark.parametrize("name", list(TRANSFER_MESSAGES))
def test_unknown_process_is_404(name: str) -> None:
    outcome = sm.on_message(None, TRANSFER_MESSAGES[name]())
    assert outcome.status == 404 and isinstance(outcome.body, TransferError)
    assert_schema_valid(outcome.body)


def test_process_of_another_participant_is_404_and_pid_mismatch_400() -> None:
    record = transfer(S.STARTED, counterparty="did:web:owner")
    message = TRANSFER_MESSAGES["completion"]()
    assert sm.on_message(record, message, participant_id="did:web:intruder").status == 404
    wrong = message.model_copy(update={"consumer_pid": "urn:uuid:x"})
    assert sm.on_message(record, wrong, participant_id="did:web:owner").status == 400


def test_negotiation_message_to_the_transfer_machine_is_400() -> None:
    outcome = sm.on_message(transfer(S.STARTED), initial_request())
    assert outcome.status == 400 and isinstance(outcome.body, TransferError)


def test_suspension_and_termination_keep_code_and_reason() -> None:
    outcome = sm.on_message(transfer(S.STARTED), TRANSFER_MESSAGES["suspension"]())
    assert outcome.record is not None and (outcome.record.code, outcome.record.reason) == (
        "S1",
        ("pause please",),
    )


def test_only_the_provider_role_is_implemented() -> None:
    from d4h_sdk.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        sm.on_message(None, transfer_request(), role="consumer")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("HttpData-PULL", "pull"),
        ("httpdata-push", "push"),
        ("x:HTTP_PULL", "pull"),
        ("x:PUSH", "push"),
        ("Other", "pull"),
    ],
)
def test_transfer_kind(fmt: str, expected: str) -> None:
    assert sm.transfer_kind(fmt) == expected
