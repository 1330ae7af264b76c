"""Provider-side transfer process state machine: pure, no I/O (events in, decisions out).

:func:`on_message` decides on a message the consumer sent (request, start = resume, completion, suspension,
termination) and returns an :class:`~d4h_sdk.sandbox._sm_common.Outcome`; the provider's moves
(:func:`start`, :func:`suspend`, :func:`resume`, :func:`complete`, :func:`terminate`) check the transition and
return a :class:`~d4h_sdk.sandbox._sm_common.Step` with the callback message for the consumer.

Transitions (both DSP versions): REQUESTED -> STARTED (provider), STARTED -> SUSPENDED / COMPLETED (either),
SUSPENDED -> STARTED (either), any non-terminal state -> TERMINATED (either). COMPLETED and TERMINATED are
terminal. Everything else is answered 400 with a TransferError body, never 404 for a known process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from d4h_sdk.errors import ConfigurationError, TransferError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.transfer import (
    DataAddress,
    TransferCompletionMessage,
    TransferProcess,
    TransferRequestMessage,
    TransferStartMessage,
    TransferState,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.models.transfer import (
    TransferError as TransferErrorBody,
)
from d4h_sdk.sandbox._sm_common import (
    CheckAgreement,
    Effect,
    Outcome,
    Party,
    SendCallback,
    StateChanged,
    Step,
    callback_path,
    new_pid,
    utc_now,
)

__all__ = [
    "TransferKind",
    "TransferRecord",
    "complete",
    "on_message",
    "resume",
    "start",
    "suspend",
    "terminate",
    "transfer_kind",
]

TransferKind = Literal["pull", "push"]
"""Pull: the consumer fetches from the address the provider sends; push: the provider delivers."""

_TRANSFER_TYPES = (
    TransferRequestMessage,
    TransferStartMessage,
    TransferCompletionMessage,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)


def transfer_kind(format: str, data_address: DataAddress | None = None) -> TransferKind:
    """Tell pull from push by the format's suffix (``HttpData-PULL``, ``example:HTTP_PUSH``), else by address.

    Args:
        format: The requested format.
        data_address: The consumer's data address, given only for push transfers.

    Returns:
        ``"push"`` or ``"pull"``.
    """
    upper = format.upper()
    if upper.endswith(("-PUSH", "_PUSH", ":PUSH")):
        return "push"
    if upper.endswith(("-PULL", "_PULL", ":PULL")):
        return "pull"
    return "push" if data_address is not None else "pull"


@dataclass(frozen=True)
class TransferRecord:
    """A transfer process as the provider keeps it (immutable; every transition bumps ``version``).

    Attributes:
        provider_pid: Our id of the process.
        consumer_pid: The consumer's id of it.
        callback_address: Where the consumer receives callbacks.
        agreement_id: The agreement the transfer runs under.
        format: The requested format.
        kind: ``"pull"`` or ``"push"``.
        state: The current state.
        data_address: The consumer's destination (push transfers).
        start_address: The address sent in the last TransferStartMessage (pull transfers).
        version: Optimistic-concurrency version, 1 when created.
        created_at: When the process was created.
        updated_at: When it last changed.
        counterparty: The authenticated consumer participant id, when known.
        dialect: The wire dialect the consumer spoke, when known.
        code: The code of the last suspension or of the termination.
        reason: The reasons of the last suspension or of the termination.
        changed_by: Who made the last transition.
    """

    provider_pid: str
    consumer_pid: str
    callback_address: str
    agreement_id: str
    format: str
    kind: TransferKind
    state: TransferState
    data_address: DataAddress | None = None
    start_address: DataAddress | None = None
    version: int = 1
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    counterparty: str | None = None
    dialect: str | None = None
    code: str | None = None
    reason: tuple[Any, ...] = ()
    changed_by: Party = "consumer"

    def ack(self) -> TransferProcess:
        """Return the TransferProcess object that reports this process (GET and 201 bodies)."""
        return TransferProcess(
            provider_pid=self.provider_pid, consumer_pid=self.consumer_pid, state=self.state
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (models in their canonical form) for storage."""
        return {
            "providerPid": self.provider_pid,
            "consumerPid": self.consumer_pid,
            "callbackAddress": self.callback_address,
            "agreementId": self.agreement_id,
            "format": self.format,
            "kind": self.kind,
            "state": self.state.value,
            "dataAddress": canonical_dict(self.data_address) if self.data_address is not None else None,
            "startAddress": canonical_dict(self.start_address) if self.start_address is not None else None,
            "version": self.version,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "counterparty": self.counterparty,
            "dialect": self.dialect,
            "code": self.code,
            "reason": list(self.reason),
            "changedBy": self.changed_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TransferRecord:
        """Rebuild a record from :meth:`to_dict` output."""
        address = data.get("dataAddress")
        started = data.get("startAddress")
        return cls(
            provider_pid=data["providerPid"],
            consumer_pid=data["consumerPid"],
            callback_address=data["callbackAddress"],
            agreement_id=data["agreementId"],
            format=data["format"],
            kind=data["kind"],
            state=TransferState(data["state"]),
            data_address=DataAddress.model_validate(address) if address is not None else None,
            start_address=DataAddress.model_validate(started) if started is not None else None,
            version=int(data["version"]),
            created_at=datetime.fromisoformat(data["createdAt"]),
            updated_at=datetime.fromisoformat(data["updatedAt"]),
            counterparty=data.get("counterparty"),
            dialect=data.get("dialect"),
            code=data.get("code"),
            reason=tuple(data.get("reason") or ()),
            changed_by=data.get("changedBy", "consumer"),
        )


# --- inbound messages --------------------------------------------------------------------------------------


def _error(
    status: int, reason: str, *, record: TransferRecord | None, message: WireModel, code: str
) -> Outcome[TransferRecord]:
    provider_pid = record.provider_pid if record is not None else getattr(message, "provider_pid", None)
    consumer_pid = record.consumer_pid if record is not None else getattr(message, "consumer_pid", None)
    body = TransferErrorBody(
        provider_pid=provider_pid, consumer_pid=consumer_pid, code=code, reason=(reason,)
    )
    return Outcome(record=record, status=status, body=body)


def _invalid(record: TransferRecord, message: WireModel, detail: str) -> Outcome[TransferRecord]:
    text = f"{type(message).__name__} is not allowed in state {record.state.value}: {detail}"
    return _error(400, text, record=record, message=message, code="INVALID_STATE_TRANSITION")


def _advance(
    record: TransferRecord, state: TransferState, now: datetime, by: Party, **changes: Any
) -> TransferRecord:
    return replace(record, state=state, version=record.version + 1, updated_at=now, changed_by=by, **changes)


def _changed(before: TransferRecord, after: TransferRecord) -> Outcome[TransferRecord]:
    note = StateChanged(after.provider_pid, before.state, after.state, "consumer")
    return Outcome(record=after, status=200, effects=(note,))


def on_message(
    record: TransferRecord | None,
    message: WireModel,
    *,
    role: Literal["provider"] = "provider",
    participant_id: str | None = None,
    dialect: str | None = None,
    now: datetime | None = None,
    make_pid: Callable[[], str] = new_pid,
) -> Outcome[TransferRecord]:
    """Decide on a message the consumer sent to the provider.

    Args:
        record: The process the message belongs to, as stored: found by the ``providerPid`` of the path, or,
            for a TransferRequestMessage, by the consumer's ``consumerPid`` (``None`` if new).
        message: The decoded message (any DSP model; wrong types are refused with 400).
        role: The side this machine plays; only ``"provider"`` is implemented.
        participant_id: The authenticated consumer; a process of another participant answers 404.
        dialect: The wire dialect of the message, recorded on a new process.
        now: The current time (injectable clock).
        make_pid: Generator of new provider pids.

    Returns:
        The outcome: new record, HTTP status (201/200/400/404/409), body and effects.

    Raises:
        ConfigurationError: ``role`` is not ``"provider"``.
    """
    if role != "provider":
        raise ConfigurationError(
            f"role {role!r} is not supported; the sandbox transfer machine plays 'provider'"
        )
    moment = utc_now(now)
    if isinstance(message, TransferRequestMessage):
        return _request(record, message, participant_id, dialect, moment, make_pid)
    if not isinstance(message, _TRANSFER_TYPES):
        reason = f"{type(message).__name__} is not a transfer process message the provider accepts"
        return _error(400, reason, record=record, message=message, code="UNEXPECTED_MESSAGE")
    assert not isinstance(message, TransferRequestMessage)
    if record is None or (participant_id and record.counterparty and participant_id != record.counterparty):
        reason = f"no transfer process {message.provider_pid} is known to this provider"
        return _error(404, reason, record=None, message=message, code="NOT_FOUND")
    if message.provider_pid != record.provider_pid or message.consumer_pid != record.consumer_pid:
        reason = "the providerPid/consumerPid of the message do not match the transfer process"
        return _error(400, reason, record=record, message=message, code="PID_MISMATCH")
    if record.state.is_final:
        return _invalid(record, message, "the transfer process is over; no further message is accepted")
    state = record.state
    if isinstance(message, TransferStartMessage):
        if state is not TransferState.SUSPENDED:
            return _invalid(record, message, "the consumer may only resume a suspended transfer")
        return _changed(record, _advance(record, TransferState.STARTED, moment, "consumer"))
    if isinstance(message, TransferCompletionMessage):
        if state is not TransferState.STARTED:
            return _invalid(record, message, "only a started transfer can complete")
        return _changed(record, _advance(record, TransferState.COMPLETED, moment, "consumer"))
    if isinstance(message, TransferSuspensionMessage):
        if state is not TransferState.STARTED:
            return _invalid(record, message, "only a started transfer can be suspended")
        after = _advance(
            record,
            TransferState.SUSPENDED,
            moment,
            "consumer",
            code=message.code,
            reason=tuple(message.reason),
        )
        return _changed(record, after)
    assert isinstance(message, TransferTerminationMessage)
    after = _advance(
        record, TransferState.TERMINATED, moment, "consumer", code=message.code, reason=tuple(message.reason)
    )
    return _changed(record, after)


def _request(
    record: TransferRecord | None,
    message: TransferRequestMessage,
    participant_id: str | None,
    dialect: str | None,
    now: datetime,
    make_pid: Callable[[], str],
) -> Outcome[TransferRecord]:
    kind = transfer_kind(message.format, message.data_address)
    if kind == "push" and message.data_address is None:
        reason = f"format {message.format} is a push transfer: the request needs a dataAddress"
        return _error(400, reason, record=None, message=message, code="MISSING_DATA_ADDRESS")
    if record is not None:
        same = (
            record.consumer_pid == message.consumer_pid
            and record.agreement_id == message.agreement_id
            and record.format == message.format
            and record.callback_address == message.callback_address
            and (
                record.counterparty is None or participant_id is None or record.counterparty == participant_id
            )
        )
        if not same:
            reason = f"consumerPid {message.consumer_pid} is already used by another transfer process"
            return _error(409, reason, record=record, message=message, code="CONSUMER_PID_IN_USE")
        # A re-sent request: answer with the process, and re-send the start message if it is running.
        effects: tuple[Effect, ...] = ()
        if record.state is TransferState.STARTED:
            effects = (_start_callback(record, record.start_address),)
        return Outcome(record=record, status=201, body=record.ack(), effects=effects)
    created = TransferRecord(
        provider_pid=make_pid(),
        consumer_pid=message.consumer_pid,
        callback_address=message.callback_address,
        agreement_id=message.agreement_id,
        format=message.format,
        kind=kind,
        state=TransferState.REQUESTED,
        data_address=message.data_address,
        created_at=now,
        updated_at=now,
        counterparty=participant_id,
        dialect=dialect,
    )
    check = CheckAgreement(
        created.provider_pid, message.agreement_id, message.format, kind == "push", participant_id
    )
    note = StateChanged(created.provider_pid, None, created.state, "consumer")
    return Outcome(record=created, status=201, body=created.ack(), effects=(check, note))


# --- provider moves ----------------------------------------------------------------------------------------


def _require(record: TransferRecord, move: str, allowed: tuple[TransferState, ...]) -> None:
    if record.state not in allowed:
        names = ", ".join(state.value for state in allowed)
        raise TransferError(
            f"cannot {move} transfer process {record.provider_pid} in state {record.state.value}; "
            f"allowed from {names}"
        )


def _send(record: TransferRecord, leaf: str, message: WireModel) -> SendCallback:
    return SendCallback(
        record.callback_address, callback_path("transfers", record.consumer_pid, leaf), message
    )


def _start_callback(record: TransferRecord, data_address: DataAddress | None) -> SendCallback:
    message = TransferStartMessage(
        provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, data_address=data_address
    )
    return _send(record, "start", message)


def start(
    record: TransferRecord, data_address: DataAddress | None = None, *, now: datetime | None = None
) -> Step[TransferRecord]:
    """Start (or restart after a suspension) the transfer: REQUESTED or SUSPENDED -> STARTED.

    Args:
        record: The transfer process.
        data_address: Where the consumer pulls from (required for pull; a resumed pull transfer may reuse
            the address sent before); ``None`` for push.
        now: The current time.

    Returns:
        The new record and the TransferStartMessage callback.

    Raises:
        TransferError: The state does not allow a start, or a pull transfer has no data address.
    """
    _require(record, "start", (TransferState.REQUESTED, TransferState.SUSPENDED))
    if record.kind == "pull":
        data_address = data_address or record.start_address
        if data_address is None:
            raise TransferError(f"pull transfer {record.provider_pid} needs a data address to start")
    after = _advance(
        record,
        TransferState.STARTED,
        utc_now(now),
        "provider",
        start_address=data_address,
        code=None,
        reason=(),
    )
    return Step(after, _start_callback(record, data_address))


def resume(
    record: TransferRecord, data_address: DataAddress | None = None, *, now: datetime | None = None
) -> Step[TransferRecord]:
    """Resume a suspended transfer: SUSPENDED -> STARTED (see :func:`start`).

    Raises:
        TransferError: The transfer is not suspended, or a pull transfer has no data address.
    """
    _require(record, "resume", (TransferState.SUSPENDED,))
    return start(record, data_address, now=now)


def suspend(
    record: TransferRecord,
    code: str | None = None,
    reason: tuple[Any, ...] | list[Any] = (),
    *,
    now: datetime | None = None,
) -> Step[TransferRecord]:
    """Suspend a running transfer: STARTED -> SUSPENDED.

    Returns:
        The new record and the TransferSuspensionMessage callback.

    Raises:
        TransferError: The transfer is not started.
    """
    _require(record, "suspend", (TransferState.STARTED,))
    reasons = tuple(reason)
    after = _advance(record, TransferState.SUSPENDED, utc_now(now), "provider", code=code, reason=reasons)
    message = TransferSuspensionMessage(
        provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, code=code, reason=reasons
    )
    return Step(after, _send(record, "suspension", message))


def complete(record: TransferRecord, *, now: datetime | None = None) -> Step[TransferRecord]:
    """Complete a running transfer: STARTED -> COMPLETED.

    Returns:
        The new record and the TransferCompletionMessage callback.

    Raises:
        TransferError: The transfer is not started.
    """
    _require(record, "complete", (TransferState.STARTED,))
    after = _advance(record, TransferState.COMPLETED, utc_now(now), "provider")
    message = TransferCompletionMessage(provider_pid=record.provider_pid, consumer_pid=record.consumer_pid)
    return Step(after, _send(record, "completion", message))


def terminate(
    record: TransferRecord,
    code: str | None = None,
    reason: tuple[Any, ...] | list[Any] = (),
    *,
    now: datetime | None = None,
) -> Step[TransferRecord]:
    """Terminate the transfer from the provider side (any non-terminal state -> TERMINATED).

    Returns:
        The new record and the TransferTerminationMessage callback.

    Raises:
        TransferError: The transfer is already COMPLETED or TERMINATED.
    """
    allowed = tuple(state for state in TransferState if not state.is_final)
    _require(record, "terminate", allowed)
    reasons = tuple(reason)
    after = _advance(record, TransferState.TERMINATED, utc_now(now), "provider", code=code, reason=reasons)
    message = TransferTerminationMessage(
        provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, code=code, reason=reasons
    )
    return Step(after, _send(record, "termination", message))
