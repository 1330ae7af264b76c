"""Transfers against the sandbox provider over real HTTP: pull with EDR tokens, push, revocation."""

from __future__ import annotations

import hashlib

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import (
    DataAddress,
    EndpointProperty,
    TransferCompletionMessage,
    TransferProcess,
    TransferRequestMessage,
    TransferStartMessage,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox._dataplane import digest_header
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Dsp, Receiver, SchemaCheck, new_pid
from .test_negotiation import negotiate

DIALECTS = ("dsp-2025-1", "dsp-2024-1")


def _payload(sandbox: Sandbox, dataset_id: str) -> bytes:
    dataset = next(d for d in sandbox.datasets if d.id == dataset_id)
    return b"".join(dataset.payload().source())


def _request_transfer(
    sandbox: Sandbox,
    http: HttpClient,
    receiver: Receiver,
    dialect: str,
    *,
    fmt: str = "HttpData-PULL",
    data_address: DataAddress | None = None,
) -> tuple[Dsp, TransferRequestMessage, TransferProcess]:
    client, _, _, agreement = negotiate(sandbox, http, receiver, dialect)
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement.agreement.id or "",
        format=fmt,
        callback_address=receiver.callback,
        data_address=data_address,
    )
    response = client.post("/transfers/request", request)
    assert response.status_code == 201, response.text
    ack = wire.decode(response.content)
    assert isinstance(ack, TransferProcess) and ack.consumer_pid == request.consumer_pid
    return client, request, ack


def _start(receiver: Receiver, consumer_pid: str, index: int = 0) -> TransferStartMessage:
    path = f"/transfers/{consumer_pid}/start"
    receiver.wait(path)
    bodies = [r.body for r in receiver.received if r.path.endswith(path)]
    message = wire.decode(bodies[index])
    assert isinstance(message, TransferStartMessage)
    return message


def _download(http: HttpClient, address: DataAddress) -> tuple[int, bytes, str | None]:
    response = http.get(
        address.endpoint or "",
        headers={
            "Authorization": f"Bearer {address.property('authorization')}",
            "Accept-Encoding": "identity",
        },
        allow_status=range(400, 600),
    )
    return response.status_code, response.content, response.headers.get("Repr-Digest")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_pull_transfer_download_and_completion(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck, dialect: str
) -> None:
    client, request, ack = _request_transfer(sandbox, http, receiver, dialect)
    start = _start(receiver, request.consumer_pid)
    raw = next(
        r.body for r in receiver.received if r.path.endswith(f"/transfers/{request.consumer_pid}/start")
    )
    assert schema(dialect, "TransferStartMessage", raw) == []
    assert start.provider_pid == ack.provider_pid
    address = start.data_address
    assert address is not None and address.property("authType") == "bearer"
    status, content, digest = _download(http, address)
    expected = _payload(sandbox, "diabetes-sample")
    assert status == 200 and content == expected
    assert digest == digest_header(hashlib.sha256(expected).digest())
    pids = {"provider_pid": ack.provider_pid, "consumer_pid": request.consumer_pid}
    assert (
        client.post(
            f"/transfers/{ack.provider_pid}/completion", TransferCompletionMessage(**pids)
        ).status_code
        == 200
    )
    response = client.get(f"/transfers/{ack.provider_pid}")
    assert response.status_code == 200
    assert schema(dialect, "TransferProcess", response.json()) == []
    state = wire.decode(response.content)
    assert isinstance(state, TransferProcess) and state.state is TransferState.COMPLETED
    again = client.post(f"/transfers/{ack.provider_pid}/completion", TransferCompletionMessage(**pids))
    assert again.status_code == 400
    assert schema(dialect, "TransferError", again.json()) == []
    assert _download(http, address)[0] == 401  # tokens die with the transfer


def test_suspension_revokes_the_token_and_resumption_sends_a_fresh_one(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    client, request, ack = _request_transfer(sandbox, http, receiver, "dsp-2025-1")
    first = _start(receiver, request.consumer_pid)
    assert first.data_address is not None
    assert _download(http, first.data_address)[0] == 200
    pids = {"provider_pid": ack.provider_pid, "consumer_pid": request.consumer_pid}
    suspension = TransferSuspensionMessage(**pids, reason=("pause",))
    assert client.post(f"/transfers/{ack.provider_pid}/suspension", suspension).status_code == 200
    assert _download(http, first.data_address)[0] == 401
    # suspending twice, or completing while suspended, is an invalid transition
    assert client.post(f"/transfers/{ack.provider_pid}/suspension", suspension).status_code == 400
    completion = client.post(f"/transfers/{ack.provider_pid}/completion", TransferCompletionMessage(**pids))
    assert completion.status_code == 400
    assert schema("dsp-2025-1", "TransferError", completion.json()) == []
    resume = TransferStartMessage(**pids)
    assert client.post(f"/transfers/{ack.provider_pid}/start", resume).status_code == 200
    receiver.wait(f"/transfers/{request.consumer_pid}/start")
    import time

    deadline = time.monotonic() + 10
    while sum(r.path.endswith("/start") and request.consumer_pid in r.path for r in receiver.received) < 2:
        assert time.monotonic() < deadline, "no fresh start message after the resumption"
        time.sleep(0.02)
    second = _start(receiver, request.consumer_pid, 1)
    assert second.data_address is not None
    assert _download(http, second.data_address)[0] == 200
    assert _download(http, first.data_address)[0] == 401
    termination = TransferTerminationMessage(**pids, reason=("done",))
    assert client.post(f"/transfers/{ack.provider_pid}/termination", termination).status_code == 200
    assert _download(http, second.data_address)[0] == 401


def test_push_transfer_delivers_then_completes(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    destination = DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint=f"{receiver.server.url}/push/cohort.csv",
        endpoint_properties=(
            EndpointProperty(name="authorization", value="push-secret"),
            EndpointProperty(name="authType", value="bearer"),
        ),
    )
    _, request, _ = _request_transfer(
        sandbox, http, receiver, "dsp-2025-1", fmt="HttpData-PUSH", data_address=destination
    )
    completion = receiver.wait(f"/transfers/{request.consumer_pid}/completion")
    assert schema("dsp-2025-1", "TransferCompletionMessage", completion.body) == []
    pushed = receiver.wait("/push/cohort.csv")
    assert pushed.raw == _payload(sandbox, "diabetes-sample")
    assert pushed.authorization == "Bearer push-secret"
    start = _start(receiver, request.consumer_pid)
    assert start.data_address is None


def test_transfer_for_an_unknown_agreement_is_terminated(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    client = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id="urn:uuid:no-agreement",
        format="HttpData-PULL",
        callback_address=receiver.callback,
    )
    assert client.post("/transfers/request", request).status_code == 201
    received = receiver.wait(f"/transfers/{request.consumer_pid}/termination")
    assert schema("dsp-2025-1", "TransferTerminationMessage", received.body) == []
    message = wire.decode(received.body)
    assert isinstance(message, TransferTerminationMessage)
    assert any("urn:uuid:no-agreement" in str(reason) for reason in message.reason)


def test_someone_elses_agreement_is_refused(sandbox: Sandbox, http: HttpClient, receiver: Receiver) -> None:
    _, _, _, agreement = negotiate(sandbox, http, receiver, "dsp-2025-1")
    ad = Dsp(sandbox, http, sandbox.participants["ad-company"], "dsp-2025-1")
    request = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement.agreement.id or "",
        format="HttpData-PULL",
        callback_address=receiver.callback,
    )
    assert ad.post("/transfers/request", request).status_code == 201
    message = wire.decode(receiver.wait(f"/transfers/{request.consumer_pid}/termination").body)
    assert isinstance(message, TransferTerminationMessage)
    assert any("not made with" in str(reason) for reason in message.reason)


def test_unknown_or_unauthorised_transfers_are_404(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver
) -> None:
    client, request, ack = _request_transfer(sandbox, http, receiver, "dsp-2025-1")
    unknown = new_pid()
    assert client.get(f"/transfers/{unknown}").status_code == 404
    message = TransferCompletionMessage(provider_pid=unknown, consumer_pid=request.consumer_pid)
    assert client.post(f"/transfers/{unknown}/completion", message).status_code == 404
    assert client.get(f"/transfers/{ack.provider_pid}", token=False).status_code == 404
    ad = Dsp(sandbox, http, sandbox.participants["ad-company"], "dsp-2025-1")
    assert ad.get(f"/transfers/{ack.provider_pid}").status_code == 404
    assert client.post("/transfers/request", request, token=False).status_code == 401
    bad_format = request.model_copy(update={"consumer_pid": new_pid(), "format": "Carrier-Pigeon"})
    assert client.post("/transfers/request", bad_format).status_code == 400
