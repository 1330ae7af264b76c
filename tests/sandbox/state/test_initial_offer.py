"""A provider-initiated negotiation: the initial offer message, then the record once the consumer answered."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import NegotiationError
from d4h_sdk.models.negotiation import (
    ContractNegotiationEventMessage,
    ContractOfferMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.policy import Offer
from d4h_sdk.sandbox import _negotiation_sm as nsm

from ._support import (
    CALLBACK,
    CONSUMER_DID,
    CPID,
    DATASET,
    PPID,
    PROVIDER_ADDRESS,
    T0,
    assert_schema_valid,
    make_offer,
)


def test_initial_offer_message_and_record() -> None:
    callback = nsm.initial_offer(
        make_offer(), callback_address=CALLBACK, provider_address=PROVIDER_ADDRESS, make_pid=lambda: PPID
    )
    assert callback.url == "https://consumer.example/callback/negotiations/offers"
    message = callback.message
    assert isinstance(message, ContractOfferMessage)
    assert (message.provider_pid, message.consumer_pid) == (PPID, None)
    assert message.callback_address == PROVIDER_ADDRESS
    assert_schema_valid(message)

    record = nsm.offered(message, CALLBACK, CPID, counterparty=CONSUMER_DID, dialect="dsp-2025-1", now=T0)
    assert record.state is NegotiationState.OFFERED and record.offer_from == "provider"
    assert (record.provider_pid, record.consumer_pid, record.dataset_id) == (PPID, CPID, DATASET)
    assert record.version == 1 and record.created_at == T0

    accepted = ContractNegotiationEventMessage(
        provider_pid=PPID, consumer_pid=CPID, event_type=NegotiationEventType.ACCEPTED
    )
    outcome = nsm.on_message(record, accepted, participant_id=CONSUMER_DID)
    assert outcome.status == 200 and outcome.record is not None
    assert outcome.record.state is NegotiationState.ACCEPTED
    assert nsm.on_message(record, accepted, participant_id="did:web:other.example").status == 404


@pytest.mark.parametrize(
    ("offer", "callback", "problem"),
    [
        (make_offer(target=None), CALLBACK, "target"),
        (make_offer().model_copy(update={"id": None}), CALLBACK, "@id"),
        (make_offer(), "", "callback address"),
    ],
)
def test_initial_offer_refuses_incomplete_input(offer: Offer, callback: str, problem: str) -> None:
    with pytest.raises(NegotiationError, match=problem):
        nsm.initial_offer(offer, callback_address=callback)
