"""A provider connector restarted in the middle of a negotiation continues it from its SQLite store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    TransferRequestMessage,
    TransferStartMessage,
)
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._store import SqliteProviderStore
from d4h_sdk.sandbox.synthetic import SandboxDataset, default_datasets

from .conftest import Dsp, Receiver, contract_request, new_pid


@pytest.fixture
def host() -> Iterator[ParticipantHost]:
    host = ParticipantHost()
    try:
        host.add_authority()
        host.add_participant("hospital")
        host.add_participant("research-lab")
        yield host
    finally:
        host.stop()
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive()]
    assert left == [], f"threads leaked: {left}"


def _start(
    provider: Participant, path: Path
) -> tuple[ProviderConnector, SqliteProviderStore, list[SandboxDataset]]:
    """A provider connector on the store file (the caller closes the connector, then the store)."""
    store = SqliteProviderStore(path)
    connector = ProviderConnector(provider, store=store)
    connector.serve()
    datasets = default_datasets(seed=2, patients=10, access_url=connector.dsp_url())
    for dataset in datasets:
        connector.add_dataset(dataset)
    return connector, store, datasets


def test_negotiation_continues_on_a_restarted_provider(
    host: ParticipantHost, receiver: Receiver, http: HttpClient, tmp_path: Path
) -> None:
    provider, lab = host.participants["hospital"], host.participants["research-lab"]
    path = tmp_path / "provider.sqlite"
    first, store, datasets = _start(provider, path)
    try:
        client = Dsp(http, lab, provider.did, first.dsp_url())
        request = contract_request(datasets, provider.did, receiver.callback)
        response = client.post("/negotiations/request", request)
        assert response.status_code == 201, response.text
        provider_pid = response.json()["providerPid"]
        agreement = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/agreement")[0])
        assert isinstance(agreement, ContractAgreementMessage)
    finally:
        first.close()
        store.close()

    second, store, _ = _start(provider, path)
    try:
        record = second.store.get_negotiation(provider_pid)
        assert record is not None and record.state is NegotiationState.AGREED
        base = second.dsp_url()
        verification = ContractAgreementVerificationMessage(
            provider_pid=provider_pid, consumer_pid=request.consumer_pid
        )
        answer = client.post(f"/negotiations/{provider_pid}/agreement/verification", verification, base=base)
        assert answer.status_code == 200, answer.text
        event = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/events")[0])
        assert isinstance(event, ContractNegotiationEventMessage)
        assert event.event_type is NegotiationEventType.FINALIZED

        transfer = TransferRequestMessage(
            consumer_pid=new_pid(),
            agreement_id=agreement.agreement.id or "",
            format="HttpData-PULL",
            callback_address=receiver.callback,
        )
        assert client.post("/transfers/request", transfer, base=base).status_code == 201
        start = wire.decode(receiver.wait(f"/transfers/{transfer.consumer_pid}/start")[0])
        assert isinstance(start, TransferStartMessage) and start.data_address is not None
        address = start.data_address
        assert (address.endpoint or "").startswith(second.url)
        token = address.property("authorization")
        download = http.get(address.endpoint or "", headers={"Authorization": f"Bearer {token}"})
        assert download.status_code == 200 and len(download.content) > 0
    finally:
        second.close()
        store.close()
