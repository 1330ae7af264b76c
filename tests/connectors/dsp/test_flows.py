"""Full consumer flows with DspConnector against the sandbox provider, in both DSP versions."""

from __future__ import annotations

import time

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import DSP_2024_1, DSP_2025_1, ChangeNotifier, Connector, Provider
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.errors import NegotiationError, TransferError, TransferTerminatedError, UnsupportedOperationError
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox._faults import CallbackDelay, FaultPlan
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import DATASET, Recorder, lab_connector, requested, wait_until


def negotiate(dsp: DspConnector, provider: Provider, sandbox: Sandbox, **offer_options: str) -> str:
    negotiation_id = dsp.start_negotiation(provider, requested(sandbox, **offer_options))
    wait_until(lambda: dsp.get_negotiation(negotiation_id), lambda s: s.state.is_final, dsp, negotiation_id)
    return negotiation_id


def started(dsp: DspConnector, provider: Provider, agreement_id: str) -> str:
    transfer_id = dsp.start_transfer(provider, agreement_id)
    wait_until(
        lambda: dsp.get_transfer(transfer_id),
        lambda s: s.state is not TransferState.REQUESTED,
        dsp,
        transfer_id,
    )
    return transfer_id


def test_satisfies_the_connector_protocols(dsp: DspConnector) -> None:
    assert isinstance(dsp, Connector) and isinstance(dsp, ChangeNotifier)
    assert dsp.kind == "dsp"
    assert dsp.callback_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(("protocol", "version"), [(DSP_2025_1, "2025-1"), (DSP_2024_1, "2024-1")])
def test_full_flow_to_a_pull_download(
    sandbox: Sandbox, recorder: Recorder, protocol: str, version: str, record_property: object
) -> None:
    provider = Provider(sandbox.connector.url, participant_id=sandbox.provider.did, protocol=protocol)
    expected = b"".join(next(d for d in sandbox.datasets if d.id == DATASET).payload().source())
    with lab_connector(sandbox, recorder) as dsp:
        began = time.monotonic()
        negotiation_id = negotiate(dsp, provider, sandbox)
        status = dsp.get_negotiation(negotiation_id)
        assert status.state is NegotiationState.FINALIZED, status
        assert status.agreement is not None and status.agreement_id == status.agreement.id
        assert status.agreement.target == DATASET
        assert status.agreement.assignee == sandbox.participants["research-lab"].did
        assert dsp.get_agreement(status.agreement_id or "") == status.agreement
        transfer_id = started(dsp, provider, status.agreement_id or "")
        edr = dsp.get_edr(transfer_id)
        assert edr.transfer_id == transfer_id and edr.agreement_id == status.agreement_id
        with HttpClient() as http:
            data = http.get(edr.endpoint, headers={"Authorization": f"Bearer {edr.authorization}"}).content
        assert data == expected
        dsp.complete_transfer(transfer_id)
        assert dsp.get_transfer(transfer_id).state is TransferState.COMPLETED
        elapsed = time.monotonic() - began
    print(f"DSP {version} full flow (negotiate + transfer + download + complete): {elapsed * 1000:.0f} ms")
    paths = recorder.paths()
    base = f"/{version}"
    # exactly the messages the protocol needs; one verification although callbacks may repeat
    assert paths == [
        f"{base}/negotiations/request",
        f"{base}/negotiations/{status_provider_pid(paths, 'negotiations')}/agreement/verification",
        f"{base}/transfers/request",
        f"{base}/transfers/{status_provider_pid(paths, 'transfers')}/completion",
    ]
    assert elapsed < 10


def status_provider_pid(paths: list[str], noun: str) -> str:
    """The provider pid found in the recorded paths of a process kind."""
    for path in paths:
        parts = path.split("/")
        if noun in parts and parts[-1] != "request":
            return parts[parts.index(noun) + 1]
    raise AssertionError(f"no {noun} path in {paths}")


def test_every_request_carries_a_dcp_token_for_the_provider(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector, recorder: Recorder
) -> None:
    dsp.request_catalog(provider)
    posts = [r for r in recorder.requests if r.method == "POST"]
    assert posts and all(r.headers.get("Authorization", "").startswith("Bearer ") for r in posts)
    versions = [r for r in recorder.requests if r.url.endswith("/.well-known/dspace-version")]
    assert versions and all("Authorization" not in r.headers for r in versions)


def test_refused_consumer_ends_terminated_with_the_provider_reason(
    sandbox: Sandbox, provider: Provider
) -> None:
    ad = sandbox.participants["ad-company"]
    with DspConnector(participant_id=ad.did, token_source=ad.sts, scopes=_scopes()) as dsp:
        negotiation_id = negotiate(dsp, provider, sandbox)
        status = dsp.get_negotiation(negotiation_id)
    assert status.state is NegotiationState.TERMINATED
    assert status.code == "POLICY_PROHIBITED"
    assert any("membershipStatus" in reason for reason in status.reason)
    assert status.agreement_id is None


def _scopes() -> tuple[str, ...]:
    from d4h_sdk.sandbox._authority import DS4H_SCOPES

    return tuple(str(scope) for scope in DS4H_SCOPES)


def test_undecided_policy_terminates_naming_the_missing_claim(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector
) -> None:
    status = dsp.get_negotiation(
        negotiate(dsp, provider, sandbox, dataset_id="diabetes-cohort", key="research")
    )
    assert status.state is NegotiationState.TERMINATED and status.code == "POLICY_UNDECIDED"
    assert any("permitIssued" in reason for reason in status.reason)


def test_terminate_negotiation_before_the_agreement(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector
) -> None:
    sandbox.faults = FaultPlan(delayed_callbacks=(CallbackDelay("*/agreement", 1.0),))
    try:
        negotiation_id = dsp.start_negotiation(provider, requested(sandbox))
        assert dsp.get_negotiation(negotiation_id).state is NegotiationState.REQUESTED
        dsp.terminate_negotiation(negotiation_id, reason="changed my mind")
        status = dsp.get_negotiation(negotiation_id)
        assert status.state is NegotiationState.TERMINATED and status.reason == ("changed my mind",)
        with pytest.raises(NegotiationError, match="TERMINATED"):
            dsp.terminate_negotiation(negotiation_id)
        # the late agreement is refused: the negotiation stays terminated
        time.sleep(1.2)
        assert dsp.get_negotiation(negotiation_id).state is NegotiationState.TERMINATED
    finally:
        sandbox.faults = FaultPlan()


def test_suspend_resume_complete_and_terminate_a_transfer(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector
) -> None:
    agreement_id = dsp.get_negotiation(negotiate(dsp, provider, sandbox)).agreement_id or ""
    transfer_id = started(dsp, provider, agreement_id)
    first = dsp.get_edr(transfer_id)
    dsp.suspend_transfer(transfer_id, reason="pause")
    assert dsp.get_transfer(transfer_id).state is TransferState.SUSPENDED
    with pytest.raises(TransferError, match="SUSPENDED"):
        dsp.get_edr(transfer_id)
    with pytest.raises(TransferError, match="cannot complete"):
        dsp.complete_transfer(transfer_id)
    dsp.resume_transfer(transfer_id)
    assert dsp.get_transfer(transfer_id).state is TransferState.STARTED
    # the provider sends a new start message with a fresh token
    fresh = wait_until(
        lambda: dsp.get_edr(transfer_id), lambda e: e.authorization != first.authorization, dsp, transfer_id
    )
    assert fresh.endpoint == first.endpoint
    dsp.complete_transfer(transfer_id)
    assert dsp.get_transfer(transfer_id).state is TransferState.COMPLETED
    with pytest.raises(TransferError):
        dsp.terminate_transfer(transfer_id)

    other = started(dsp, provider, agreement_id)
    dsp.terminate_transfer(other, reason="not needed")
    status = dsp.get_transfer(other)
    assert status.state is TransferState.TERMINATED and status.reason == ("not needed",)
    with pytest.raises(TransferTerminatedError):
        dsp.get_edr(other)


def test_edr_refresh_is_unsupported_over_dsp(sandbox: Sandbox, provider: Provider, dsp: DspConnector) -> None:
    agreement_id = dsp.get_negotiation(negotiate(dsp, provider, sandbox)).agreement_id or ""
    transfer_id = started(dsp, provider, agreement_id)
    with pytest.raises(UnsupportedOperationError, match="new transfer"):
        dsp.get_edr(transfer_id, refresh=True)


def test_duplicate_provider_callbacks_cause_one_verification(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector, recorder: Recorder
) -> None:
    sandbox.faults = FaultPlan(duplicate_callbacks=("*/agreement", "*/events", "*/start"))
    try:
        status = dsp.get_negotiation(negotiate(dsp, provider, sandbox))
        assert status.state is NegotiationState.FINALIZED
        transfer_id = started(dsp, provider, status.agreement_id or "")
        assert dsp.get_transfer(transfer_id).state is TransferState.STARTED
    finally:
        sandbox.faults = FaultPlan()
    assert len([p for p in recorder.paths() if p.endswith("/agreement/verification")]) == 1


def test_callbacks_checked_with_the_provider_token(sandbox: Sandbox, provider: Provider) -> None:
    lab = sandbox.participants["research-lab"]
    issuers: list[str] = []

    def verifier(header: str | None) -> None:
        issuers.append(lab.token_verifier.verify(header or "").issuer)

    with lab_connector(sandbox, callback_verifier=verifier) as dsp:
        status = dsp.get_negotiation(negotiate(dsp, provider, sandbox))
    assert status.state is NegotiationState.FINALIZED
    assert len(issuers) >= 2 and set(issuers) == {sandbox.provider.did}


def test_the_public_callback_url_is_what_the_provider_is_told(sandbox: Sandbox, provider: Provider) -> None:
    with lab_connector(sandbox, public_callback_url="http://127.0.0.1:9/lab/callbacks/") as dsp:
        assert dsp.callback_url == "http://127.0.0.1:9/lab/callbacks"
        negotiation_id = dsp.start_negotiation(provider, requested(sandbox))
        # the provider calls back the (unreachable) public URL; the negotiation does not progress here
        assert dsp.get_negotiation(negotiation_id).state is NegotiationState.REQUESTED
        dsp.terminate_negotiation(negotiation_id)
