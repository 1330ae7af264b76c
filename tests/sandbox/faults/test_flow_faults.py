"""Faults in the provider's flows: expired EDR tokens, duplicate and out-of-order callbacks."""

from __future__ import annotations

import time

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    DataAddress,
    EndpointProperty,
    TransferRequestMessage,
    TransferStartMessage,
)
from d4h_sdk.sandbox._faults import CallbackDelay, FaultPlan
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Dsp, Receiver, contract_request, new_pid


def _agreed(sandbox: Sandbox, http: HttpClient, receiver: Receiver) -> tuple[Dsp, str]:
    """Negotiate to FINALIZED as research-lab; return the client and the agreement id."""
    client = Dsp(http, sandbox.participants["research-lab"], sandbox.provider.did, sandbox.provider_url)
    request = contract_request(sandbox.datasets, sandbox.provider.did, receiver.callback)
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
    return client, agreement.agreement.id or ""


def test_expired_edr_tokens_are_refused_at_download(
    faulty: Sandbox, http: HttpClient, receiver: Receiver
) -> None:
    faulty.faults = FaultPlan(expired_edr=True)
    client, agreement_id = _agreed(faulty, http, receiver)
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement_id,
        format="HttpData-PULL",
        callback_address=receiver.callback,
    )
    assert client.post("/transfers/request", request).status_code == 201
    start = wire.decode(receiver.wait(f"/transfers/{request.consumer_pid}/start")[0])
    assert isinstance(start, TransferStartMessage) and start.data_address is not None
    address = start.data_address
    token = address.property("authorization")
    assert float(address.property("expiresAt") or "inf") < time.time()  # minted expired
    response = http.get(
        address.endpoint or "", headers={"Authorization": f"Bearer {token}"}, allow_status=range(400, 600)
    )
    assert response.status_code == 401


def test_duplicate_callbacks_reach_the_consumer_twice(
    faulty: Sandbox, http: HttpClient, receiver: Receiver
) -> None:
    faulty.faults = FaultPlan(duplicate_callbacks=("*/negotiations/*/agreement",))
    client = Dsp(http, faulty.participants["research-lab"], faulty.provider.did, faulty.provider_url)
    request = contract_request(faulty.datasets, faulty.provider.did, receiver.callback)
    assert client.post("/negotiations/request", request).status_code == 201
    bodies = receiver.wait(f"/negotiations/{request.consumer_pid}/agreement", count=2)
    assert len(bodies) == 2 and bodies[0] == bodies[1]


def test_a_delayed_callback_is_overtaken_by_a_later_one(
    faulty: Sandbox, http: HttpClient, receiver: Receiver
) -> None:
    client, agreement_id = _agreed(faulty, http, receiver)
    faulty.faults = FaultPlan(delayed_callbacks=(CallbackDelay("*/transfers/*/start", delay_s=0.5),))
    destination = DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint=f"{receiver.server.url}/push/cohort.csv",
        endpoint_properties=(EndpointProperty(name="authorization", value="push-secret"),),
    )
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement_id,
        format="HttpData-PUSH",
        callback_address=receiver.callback,
        data_address=destination,
    )
    assert client.post("/transfers/request", request).status_code == 201
    receiver.wait(f"/transfers/{request.consumer_pid}/start")
    paths = [p for p in receiver.paths() if f"/transfers/{request.consumer_pid}/" in p]
    assert paths == [
        f"/cb/transfers/{request.consumer_pid}/completion",
        f"/cb/transfers/{request.consumer_pid}/start",
    ]
