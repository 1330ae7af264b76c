"""Builders for the state machine tests: records in any state, consumer messages, wire round trips."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    ContractRequestMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.policy import Agreement, Offer, Permission
from d4h_sdk.models.transfer import (
    DataAddress,
    EndpointProperty,
    TransferCompletionMessage,
    TransferRequestMessage,
    TransferStartMessage,
    TransferState,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.sandbox._negotiation_sm import NegotiationRecord
from d4h_sdk.sandbox._transfer_sm import TransferRecord

DIALECTS = ("dsp-2025-1", "dsp-2024-1")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
PPID = "urn:uuid:provider-0001"
CPID = "urn:uuid:consumer-0001"
CALLBACK = "https://consumer.example/callback/"
PROVIDER_ADDRESS = "https://provider.example/dsp"
DATASET = "urn:uuid:dataset-0001"
AGREEMENT_ID = "urn:uuid:agreement-0001"
PROVIDER_DID = "did:web:provider.example"
CONSUMER_DID = "did:web:consumer.example"


def pids() -> Any:
    """A generator of predictable provider pids for ``make_pid``."""
    counter = itertools.count(1)
    return lambda: f"urn:uuid:provider-{next(counter):04d}"


def make_offer(offer_id: str = "urn:uuid:offer-1", *, target: str | None = DATASET) -> Offer:
    return Offer(
        id=offer_id,
        target=target,
        assigner=PROVIDER_DID,
        permission=(Permission(action="use"),),
    )


def make_agreement(agreement_id: str = AGREEMENT_ID) -> Agreement:
    return Agreement(
        id=agreement_id,
        assigner=PROVIDER_DID,
        assignee=CONSUMER_DID,
        permission=(Permission(action="use"),),
    )


def pull_address() -> DataAddress:
    return DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint="http://127.0.0.1:9999/data",
        endpoint_properties=(
            EndpointProperty(name="authorization", value="TOKEN-ABC"),
            EndpointProperty(name="authType", value="bearer"),
        ),
    )


def via_wire(message: WireModel, dialect: str) -> WireModel:
    """Encode ``message`` in ``dialect``, serialise to JSON text, and decode it back: what a server receives."""
    text = json.dumps(wire.encode(message, dialect=dialect))
    return wire.decode(text.encode("utf-8"), dialect=dialect)


# --- negotiation ---------------------------------------------------------------------------------------------


def negotiation(state: NegotiationState, **changes: Any) -> NegotiationRecord:
    """A stored negotiation in ``state``, with a plausible history (offer author, agreement)."""
    offer_from = "provider" if state in (NegotiationState.OFFERED, NegotiationState.ACCEPTED) else "consumer"
    agreed = state in (NegotiationState.AGREED, NegotiationState.VERIFIED, NegotiationState.FINALIZED)
    values: dict[str, Any] = {
        "provider_pid": PPID,
        "consumer_pid": CPID,
        "callback_address": CALLBACK,
        "state": state,
        "offer": make_offer(),
        "offer_from": offer_from,
        "dataset_id": DATASET,
        "agreement": make_agreement().model_copy(
            update={"target": DATASET, "timestamp": "2026-01-01T12:00:00Z"}
        )
        if agreed
        else None,
        "version": 3,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(changes)
    return NegotiationRecord(**values)


def initial_request(consumer_pid: str = CPID, offer_id: str = "urn:uuid:offer-1") -> ContractRequestMessage:
    return ContractRequestMessage(
        consumer_pid=consumer_pid, offer=make_offer(offer_id), callback_address=CALLBACK
    )


NEGOTIATION_MESSAGES: dict[str, Any] = {
    # Messages with both pids, as the consumer (or a confused peer) would send them to the provider.
    "counter-request": lambda: ContractRequestMessage(
        provider_pid=PPID, consumer_pid=CPID, offer=make_offer("urn:uuid:offer-2"), callback_address=CALLBACK
    ),
    "event-accepted": lambda: ContractNegotiationEventMessage(
        provider_pid=PPID, consumer_pid=CPID, event_type=NegotiationEventType.ACCEPTED
    ),
    "event-finalized": lambda: ContractNegotiationEventMessage(
        provider_pid=PPID, consumer_pid=CPID, event_type=NegotiationEventType.FINALIZED
    ),
    "verification": lambda: ContractAgreementVerificationMessage(provider_pid=PPID, consumer_pid=CPID),
    "termination": lambda: ContractNegotiationTerminationMessage(
        provider_pid=PPID, consumer_pid=CPID, code="C1", reason=("consumer gave up",)
    ),
    "offer(wrong direction)": lambda: ContractOfferMessage(
        provider_pid=PPID, consumer_pid=CPID, offer=make_offer(), callback_address=CALLBACK
    ),
    "agreement(wrong direction)": lambda: ContractAgreementMessage(
        provider_pid=PPID,
        consumer_pid=CPID,
        agreement=make_agreement().model_copy(
            update={"target": DATASET, "timestamp": "2026-01-01T12:00:00Z"}
        ),
        callback_address=CALLBACK,
    ),
}


# --- transfer ------------------------------------------------------------------------------------------------


def transfer(state: TransferState, *, kind: str = "pull", **changes: Any) -> TransferRecord:
    """A stored transfer process in ``state``."""
    values: dict[str, Any] = {
        "provider_pid": PPID,
        "consumer_pid": CPID,
        "callback_address": CALLBACK,
        "agreement_id": AGREEMENT_ID,
        "format": "HttpData-PULL" if kind == "pull" else "HttpData-PUSH",
        "kind": kind,
        "state": state,
        "start_address": pull_address() if state is not TransferState.REQUESTED and kind == "pull" else None,
        "version": 2,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(changes)
    return TransferRecord(**values)


def transfer_request(
    consumer_pid: str = CPID, *, fmt: str = "HttpData-PULL", **extra: Any
) -> TransferRequestMessage:
    return TransferRequestMessage(
        consumer_pid=consumer_pid, agreement_id=AGREEMENT_ID, format=fmt, callback_address=CALLBACK, **extra
    )


TRANSFER_MESSAGES: dict[str, Any] = {
    "start(resume)": lambda: TransferStartMessage(provider_pid=PPID, consumer_pid=CPID),
    "completion": lambda: TransferCompletionMessage(provider_pid=PPID, consumer_pid=CPID),
    "suspension": lambda: TransferSuspensionMessage(
        provider_pid=PPID, consumer_pid=CPID, code="S1", reason=("pause please",)
    ),
    "termination": lambda: TransferTerminationMessage(
        provider_pid=PPID, consumer_pid=CPID, code="T1", reason=("no longer needed",)
    ),
}


# --- schema checks -------------------------------------------------------------------------------------------


def assert_schema_valid(model: WireModel) -> None:
    """Encode ``model`` in both DSP dialects and validate each against the official schema."""
    from wire._schemas import dsp_root, schema_errors

    if dsp_root() is None:
        pytest.skip(
            "official fixtures not found: put shared/ beside the repository or set D4H_SHARED_FIXTURES"
        )
    for dialect in DIALECTS:
        document = wire.encode(model, dialect=dialect)
        errors = schema_errors(dialect[4:], model.MESSAGE_TYPE, document)
        assert errors == [], f"{dialect} {model.MESSAGE_TYPE}:\n" + "\n".join(errors) + f"\n{document}"
