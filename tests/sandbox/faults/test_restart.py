"""A provider connector restarted in the middle of a negotiation or a transfer continues from its SQLite store."""

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
    DataAddress,
    TransferCompletionMessage,
    TransferRequestMessage,
    TransferStartMessage,
    TransferSuspensionMessage,
)
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
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


def _agreed_and_started(
    connector: ProviderConnector,
    datasets: list[SandboxDataset],
    client: Dsp,
    receiver: Receiver,
) -> tuple[str, str, DataAddress]:
    """Negotiate to FINALIZED and start a pull transfer; return its provider pid, consumer pid and address."""
    request = contract_request(datasets, connector.participant.did, receiver.callback)
    response = client.post("/negotiations/request", request)
    assert response.status_code == 201, response.text
    provider_pid = response.json()["providerPid"]
    agreement = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/agreement")[0])
    assert isinstance(agreement, ContractAgreementMessage)
    verification = ContractAgreementVerificationMessage(
        provider_pid=provider_pid, consumer_pid=request.consumer_pid
    )
    assert (
        client.post(f"/negotiations/{provider_pid}/agreement/verification", verification).status_code == 200
    )
    receiver.wait(f"/negotiations/{request.consumer_pid}/events")
    transfer = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement.agreement.id or "",
        format="HttpData-PULL",
        callback_address=receiver.callback,
    )
    answer = client.post("/transfers/request", transfer)
    assert answer.status_code == 201, answer.text
    start = wire.decode(receiver.wait(f"/transfers/{transfer.consumer_pid}/start")[0])
    assert isinstance(start, TransferStartMessage) and start.data_address is not None
    return start.provider_pid, transfer.consumer_pid, start.data_address


def _pull(http: HttpClient, url: str, token: str) -> int:
    return http.get(
        url, headers={"Authorization": f"Bearer {token}"}, allow_status=range(400, 600)
    ).status_code


def _on(connector: ProviderConnector, address: DataAddress) -> str:
    """The address's data plane path on (possibly another port of) ``connector``."""
    path = (address.endpoint or "").split("/data/", 1)[1]
    return f"{connector.url}/data/{path}"


def test_transfer_continues_on_a_restarted_provider(
    host: ParticipantHost, receiver: Receiver, http: HttpClient, tmp_path: Path
) -> None:
    provider, lab = host.participants["hospital"], host.participants["research-lab"]
    path = tmp_path / "provider.sqlite"
    first, store, datasets = _start(provider, path)
    try:
        client = Dsp(http, lab, provider.did, first.dsp_url())
        provider_pid, consumer_pid, address = _agreed_and_started(first, datasets, client, receiver)
        old_token = address.property("authorization")
        assert _pull(http, address.endpoint or "", old_token) == 200
    finally:
        first.close()
        store.close()

    second, store, _ = _start(provider, path)
    try:
        base = second.dsp_url()
        record = second.store.get_transfer(provider_pid)
        assert record is not None and record.state is TransferState.STARTED
        assert _pull(http, _on(second, address), old_token) == 200  # the started transfer's EDR still holds

        suspension = TransferSuspensionMessage(provider_pid=provider_pid, consumer_pid=consumer_pid)
        assert client.post(f"/transfers/{provider_pid}/suspension", suspension, base=base).status_code == 200
        assert _pull(http, _on(second, address), old_token) == 401
        resume = TransferStartMessage(provider_pid=provider_pid, consumer_pid=consumer_pid)
        assert client.post(f"/transfers/{provider_pid}/start", resume, base=base).status_code == 200
        fresh = wire.decode(receiver.wait(f"/transfers/{consumer_pid}/start", count=2)[1])
        assert isinstance(fresh, TransferStartMessage) and fresh.data_address is not None
        assert (fresh.data_address.endpoint or "").startswith(second.url)
        new_token = fresh.data_address.property("authorization")
        assert _pull(http, fresh.data_address.endpoint or "", new_token) == 200
        assert _pull(http, _on(second, address), old_token) == 401  # issued before the suspension

        completion = TransferCompletionMessage(provider_pid=provider_pid, consumer_pid=consumer_pid)
        assert client.post(f"/transfers/{provider_pid}/completion", completion, base=base).status_code == 200
        assert second.store.get_transfer(provider_pid).state is TransferState.COMPLETED  # type: ignore[union-attr]
        assert _pull(http, fresh.data_address.endpoint or "", new_token) == 401
    finally:
        second.close()
        store.close()


def test_revocations_survive_a_restart(
    host: ParticipantHost, receiver: Receiver, http: HttpClient, tmp_path: Path
) -> None:
    """A suspension (and a resumption's new token generation) made before a restart still hold after it."""
    provider, lab = host.participants["hospital"], host.participants["research-lab"]
    path = tmp_path / "provider.sqlite"
    first, store, datasets = _start(provider, path)
    try:
        client = Dsp(http, lab, provider.did, first.dsp_url())
        suspended_pid, suspended_consumer, suspended_address = _agreed_and_started(
            first, datasets, client, receiver
        )
        resumed_pid, resumed_consumer, old_address = _agreed_and_started(first, datasets, client, receiver)
        suspension = TransferSuspensionMessage(provider_pid=suspended_pid, consumer_pid=suspended_consumer)
        assert client.post(f"/transfers/{suspended_pid}/suspension", suspension).status_code == 200
        suspension = TransferSuspensionMessage(provider_pid=resumed_pid, consumer_pid=resumed_consumer)
        assert client.post(f"/transfers/{resumed_pid}/suspension", suspension).status_code == 200
        resume = TransferStartMessage(provider_pid=resumed_pid, consumer_pid=resumed_consumer)
        assert client.post(f"/transfers/{resumed_pid}/start", resume).status_code == 200
        fresh = wire.decode(receiver.wait(f"/transfers/{resumed_consumer}/start", count=2)[1])
        assert isinstance(fresh, TransferStartMessage) and fresh.data_address is not None
        new_address = fresh.data_address
        assert _pull(http, new_address.endpoint or "", new_address.property("authorization")) == 200
    finally:
        first.close()
        store.close()

    second, store, _ = _start(provider, path)
    try:
        token = suspended_address.property("authorization")
        assert _pull(http, _on(second, suspended_address), token) == 401  # still suspended
        assert _pull(http, _on(second, old_address), old_address.property("authorization")) == 401
        assert _pull(http, _on(second, new_address), new_address.property("authorization")) == 200
    finally:
        second.close()
        store.close()


def _left_pending(store: SqliteProviderStore, lab: str, provider_did: str, callback: str) -> tuple[str, str]:
    """What a provider that stopped at the wrong moment leaves: a VERIFIED negotiation, a REQUESTED transfer.

    Records are made with the pure state machines (as the stopped run would have) and saved; returns the
    consumer pids of the negotiation and of the transfer.
    """
    agreement = Agreement(
        id=new_pid(),
        target="diabetes-sample",
        assigner=provider_did,
        assignee=lab,
        permission=({"action": "use"},),
    )

    def agreed(state: NegotiationState) -> nsm.NegotiationRecord:
        record = nsm.NegotiationRecord(
            provider_pid=new_pid(),
            consumer_pid=new_pid(),
            callback_address=callback,
            state=NegotiationState.REQUESTED,
            dataset_id="diabetes-sample",
            counterparty=lab,
            dialect="dsp-2025-1",
        )
        store.save_negotiation(record)
        step = nsm.agree(record, agreement.model_copy(update={"id": new_pid()}))
        store.save_negotiation(step.record)
        verification = ContractAgreementVerificationMessage(
            provider_pid=record.provider_pid, consumer_pid=record.consumer_pid
        )
        verified = nsm.on_message(step.record, verification, participant_id=lab).record
        assert verified is not None and verified.state is NegotiationState.VERIFIED
        store.save_negotiation(verified)
        if state is NegotiationState.FINALIZED:
            verified = nsm.finalize(verified).record
            store.save_negotiation(verified)
        return verified

    verified = agreed(NegotiationState.VERIFIED)
    finalized = agreed(NegotiationState.FINALIZED)
    assert finalized.agreement is not None
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=finalized.agreement.id or "",
        format="HttpData-PULL",
        callback_address=callback,
    )
    transfer = tsm.on_message(None, request, participant_id=lab, dialect="dsp-2025-1").record
    assert transfer is not None and transfer.state is TransferState.REQUESTED
    store.save_transfer(transfer)
    return verified.consumer_pid, request.consumer_pid


def test_resume_makes_the_moves_a_stopped_provider_left_pending(
    host: ParticipantHost, receiver: Receiver, http: HttpClient, tmp_path: Path
) -> None:
    provider, lab = host.participants["hospital"], host.participants["research-lab"]
    path = tmp_path / "provider.sqlite"
    with SqliteProviderStore(path) as store:
        negotiation, transfer = _left_pending(store, lab.did, provider.did, receiver.callback)

    connector, store, _ = _start(provider, path)
    try:
        assert receiver.paths() == []  # nothing moves before resume()
        assert connector.resume() == 2
        event = wire.decode(receiver.wait(f"/negotiations/{negotiation}/events")[0])
        assert isinstance(event, ContractNegotiationEventMessage)
        assert event.event_type is NegotiationEventType.FINALIZED
        start = wire.decode(receiver.wait(f"/transfers/{transfer}/start")[0])
        assert isinstance(start, TransferStartMessage) and start.data_address is not None
        address = start.data_address
        assert _pull(http, address.endpoint or "", address.property("authorization")) == 200
    finally:
        connector.close()
        store.close()
