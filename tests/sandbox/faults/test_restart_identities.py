"""A whole sandbox restarted with its identity file keeps its DIDs, keys and ports, so stored agreements hold."""

from __future__ import annotations

import logging
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    TransferRequestMessage,
    TransferStartMessage,
)
from d4h_sdk.sandbox._identities import HOST, PROVIDER_PORT, IdentityFile, open_host, serve_provider
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._store import SqliteProviderStore
from d4h_sdk.sandbox.synthetic import SandboxDataset, default_datasets

from .conftest import Dsp, Receiver, contract_request, new_pid


@dataclass
class Run:
    """One run of a small sandbox: host, authority, provider and consumer, provider connector."""

    host: ParticipantHost
    provider: Participant
    lab: Participant
    connector: ProviderConnector
    datasets: list[SandboxDataset]


@contextmanager
def run(store_path: Path) -> Iterator[Run]:
    """Start a sandbox on the store and the identity file beside it; stop it all on exit."""
    identities = IdentityFile.beside(store_path)
    host = open_host(identities)
    store = SqliteProviderStore(store_path)
    connector: ProviderConnector | None = None
    try:
        host.add_authority(signer=identities.signer("authority", host.did_for("authority")))
        provider = host.add_participant("hospital", private_jwk=identities.private_jwk("hospital"))
        lab = host.add_participant("research-lab", private_jwk=identities.private_jwk("research-lab"))
        connector = ProviderConnector(provider, store=store)
        serve_provider(identities, connector)
        datasets = default_datasets(seed=2, patients=10, access_url=connector.dsp_url())
        for dataset in datasets:
            connector.add_dataset(dataset)
        identities.save()
        yield Run(host, provider, lab, connector, datasets)
    finally:
        if connector is not None:
            connector.close()
        store.close()
        host.stop()
    left = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith("d4h-") and "consumer" not in t.name and t.is_alive()
    ]
    assert left == [], f"threads leaked: {left}"


def test_an_agreement_made_before_a_restart_starts_a_transfer_after_it(
    receiver: Receiver, http: HttpClient, tmp_path: Path
) -> None:
    path = tmp_path / "provider.sqlite"
    with run(path) as first:
        client = Dsp(http, first.lab, first.provider.did, first.connector.dsp_url())
        request = contract_request(first.datasets, first.provider.did, receiver.callback)
        response = client.post("/negotiations/request", request)
        assert response.status_code == 201, response.text
        provider_pid = response.json()["providerPid"]
        agreement = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/agreement")[0])
        assert isinstance(agreement, ContractAgreementMessage)
        verification = ContractAgreementVerificationMessage(
            provider_pid=provider_pid, consumer_pid=request.consumer_pid
        )
        answer = client.post(f"/negotiations/{provider_pid}/agreement/verification", verification)
        assert answer.status_code == 200
        receiver.wait(f"/negotiations/{request.consumer_pid}/events")
        before = (first.provider.did, first.lab.did, first.connector.url, first.lab.signer.public_jwk())

    with run(path) as second:
        assert (second.provider.did, second.lab.did, second.connector.url) == before[:3]
        assert second.lab.signer.public_jwk() == before[3]
        assert agreement.agreement.assignee == second.lab.did
        client = Dsp(http, second.lab, second.provider.did, second.connector.dsp_url())
        transfer = TransferRequestMessage(
            consumer_pid=new_pid(),
            agreement_id=agreement.agreement.id or "",
            format="HttpData-PULL",
            callback_address=receiver.callback,
        )
        assert client.post("/transfers/request", transfer).status_code == 201
        start = wire.decode(receiver.wait(f"/transfers/{transfer.consumer_pid}/start")[0])
        assert isinstance(start, TransferStartMessage) and start.data_address is not None
        address = start.data_address
        token = address.property("authorization")
        download = http.get(address.endpoint or "", headers={"Authorization": f"Bearer {token}"})
        assert download.status_code == 200 and download.content


def test_the_identity_file_is_private_and_round_trips(tmp_path: Path) -> None:
    identities = IdentityFile.beside(tmp_path / "p.sqlite")
    jwk = identities.private_jwk("hospital")
    assert identities.private_jwk("hospital") == jwk
    identities.remember_port(HOST, 40123)
    identities.save()
    assert identities.path == tmp_path / "p.sqlite.identities.json"
    assert stat.S_IMODE(identities.path.stat().st_mode) == 0o600
    again = IdentityFile(identities.path)
    assert again.private_jwk("hospital") == jwk
    assert again.port(HOST) == 40123 and again.port(PROVIDER_PORT) == 0
    assert jwk["d"] not in repr(again)
    signer = again.signer("hospital", "did:web:localhost%3A40123:hospital")
    assert signer.key_id == "did:web:localhost%3A40123:hospital#key-1"
    with pytest.raises(ConfigurationError):
        again.remember_port(HOST, 70000)


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.identities.json"
    path.write_text('{"keys": []}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a sandbox identity file"):
        IdentityFile(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        IdentityFile(path)


def test_a_taken_port_falls_back_to_a_new_one_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    identities = IdentityFile.beside(tmp_path / "p.sqlite")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        identities.remember_port(HOST, taken)
        with caplog.at_level(logging.WARNING, logger="d4h_sdk.sandbox"):
            host = open_host(identities)
        try:
            assert host.port != taken and identities.port(HOST) == host.port
            assert f"port {taken}" in caplog.text
        finally:
            host.stop()
