"""export_process / restore_process: a second connector (a new process) carries on where the first stopped."""

from __future__ import annotations

import json

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Provider
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.errors import ConfigurationError, TransferError
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import FakeProvider, lab_connector, post_callback, provider_pid_for, wait_until
from .test_callbacks import OFFER, agreement_message
from .test_flows import negotiate, started


def test_restore_into_a_new_connector_on_the_same_port(sandbox: Sandbox, provider: Provider) -> None:
    with lab_connector(sandbox) as first:
        negotiation_id = negotiate(first, provider, sandbox)
        agreement_id = first.get_negotiation(negotiation_id).agreement_id or ""
        transfer_id = started(first, provider, agreement_id)
        token = first.get_edr(transfer_id).authorization or ""
        records = [first.export_process(negotiation_id), first.export_process(transfer_id)]
        port = first.callback_port
    text = json.dumps(records)  # JSON-serialisable, and without the EDR token
    assert token and token not in text
    assert records[0]["kind"] == "negotiation" and records[0]["state"] == "FINALIZED"
    assert records[1]["kind"] == "transfer" and records[1]["provider"]["address"] == provider.address

    with lab_connector(sandbox, callback_port=port) as second:
        assert [second.restore_process(r) for r in json.loads(text)] == [negotiation_id, transfer_id]
        status = second.get_negotiation(negotiation_id)
        assert status.state is NegotiationState.FINALIZED and status.agreement_id == agreement_id
        assert second.get_agreement(agreement_id).target == "diabetes-sample"
        assert second.get_transfer(transfer_id).state is TransferState.STARTED  # reconciled with the provider
        with pytest.raises(TransferError, match="restored"):
            second.get_edr(transfer_id)
        second.suspend_transfer(transfer_id)
        second.resume_transfer(transfer_id)  # the provider's new start message reaches the new process
        edr = wait_until(
            lambda: second.get_transfer(transfer_id),
            lambda s: s.state is TransferState.STARTED,
            second,
            transfer_id,
        )
        assert edr.state is TransferState.STARTED
        fresh = wait_until(
            lambda: _edr_or_none(second, transfer_id), lambda e: e is not None, second, transfer_id
        )
        assert fresh.authorization and fresh.authorization != token
        with HttpClient() as http:
            response = http.get(fresh.endpoint, headers={"Authorization": f"Bearer {fresh.authorization}"})
        assert response.status_code == 200 and response.content
        second.complete_transfer(transfer_id)


def _edr_or_none(connector: DspConnector, transfer_id: str) -> object:
    try:
        return connector.get_edr(transfer_id)
    except TransferError:
        return None


def test_a_restored_negotiation_still_gets_its_callbacks(fake: FakeProvider, http: HttpClient) -> None:
    with DspConnector(participant_id="did:web:consumer", token_source=None) as first:
        pid = first.start_negotiation(fake.provider, OFFER)
        record = first.export_process(pid)
        port = first.callback_port
    with DspConnector(participant_id="did:web:consumer", token_source=None, callback_port=port) as second:
        assert second.restore_process(record) == pid
        assert second.restore_process(record) == pid  # idempotent
        path = f"/negotiations/{pid}/agreement"
        assert post_callback(http, second, path, agreement_message(pid)).status_code == 200
        fake.wait(f"/negotiations/{provider_pid_for(pid)}/agreement/verification")
        status = wait_until(
            lambda: second.get_negotiation(pid), lambda s: s.state is NegotiationState.VERIFIED, second, pid
        )
        assert status.agreement_id == "urn:uuid:agreement-1"


def test_malformed_records_are_refused(fake_dsp: DspConnector) -> None:
    for bad in ({}, {"kind": "negotiation"}, {"format": 99}, {"kind": "other", "provider": {"address": "x"}}):
        with pytest.raises(ConfigurationError):
            fake_dsp.restore_process(bad)


@pytest.mark.parametrize(
    "name",
    [
        "authorization",
        "Authorization",
        "edc:authorization",
        "https://w3id.org/edc/v0.0.1/ns/authorization",
        "authKey",
    ],
)
def test_credential_properties_are_secret_under_any_spelling(name: str) -> None:
    from d4h_sdk.connectors._dsp_records import is_secret_property

    assert is_secret_property(name)
    assert not is_secret_property("https://w3id.org/edc/v0.0.1/ns/endpoint")
