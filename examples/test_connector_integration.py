"""A connector integration test written with the SDK's testing helpers, against the sandbox data space.

Copy it into your project's tests and replace ``make_connector`` with your own connector. Installing
``d4h-sdk[sandbox]`` registers the pytest plugin that provides the ``d4h_sandbox`` (one per test session) and
``d4h_sandbox_fresh`` (one per test) fixtures: nothing to import, no conftest. Run it with:

    pytest examples/test_connector_integration.py

(This repository's own pytest configuration disables the plugin with ``-p no:d4h_sdk`` so its suite stays
hermetic; here, add ``-p d4h_sdk`` to switch it back on.)
"""

from __future__ import annotations

import pytest

import d4h_sdk as d4h
from d4h_sdk.connectors import Connector, EdcConnector
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.sandbox import ErrorBurst, FaultPlan, Sandbox
from d4h_sdk.testing import ConnectorContract

RESEARCH = d4h.purposes.SCIENTIFIC_RESEARCH


class TestMyConnector(ConnectorContract):
    """The shipped behavioural suite (catalog paging, negotiation, refusal, transfer operations).

    ``make_connector`` returns the connector under test acting as the sandbox's ``research-lab``; here the
    SDK's EDC client pinned to Management API v3 (EDC 0.14) on the research lab's management facade.
    """

    def make_connector(self, sandbox: Sandbox) -> Connector:
        return EdcConnector(
            sandbox.management_url(self.consumer),
            api_key=sandbox.management_api_key(self.consumer),
            api_version="v3",
        )


@pytest.mark.parametrize("backend", ["edc", "dsp"])
def test_search_negotiate_pull(d4h_sandbox: Sandbox, backend: str) -> None:
    """The whole consumer flow through a Session, on both backends: the data arrives verified."""
    with d4h.Session.sandbox(d4h_sandbox, backend=backend) as session:  # type: ignore[arg-type]
        assert session.default_provider is not None
        hits = session.catalog.search(session.default_provider, codes=["E11"], purpose=RESEARCH)
        sample = next(hit for hit in hits if hit.id == "diabetes-sample")
        assert sample.compatible

        states: list[NegotiationState] = []
        contract = session.negotiations.negotiate(
            sample, purpose=RESEARCH, on_state=lambda status: states.append(status.state)
        )
        assert states[-1] is NegotiationState.FINALIZED
        with session.transfers.pull(contract) as download:
            frame = download.to_pandas()
        assert download.verified and len(frame) > 0
        assert {"patient_id", "hba1c_percent"} <= set(frame.columns)


def test_prohibited_purpose_is_refused_with_the_providers_reason(d4h_sandbox: Sandbox) -> None:
    """Refusals: the local check raises before sending; the provider terminates with a reason."""
    banned = d4h.purposes.ADVERTISING
    with d4h.Session.sandbox(d4h_sandbox) as session:
        assert session.default_provider is not None
        hit = session.catalog.get(session.default_provider, "diabetes-sample", purpose=banned)
        with pytest.raises(d4h.PolicyMismatchError):
            session.negotiations.start(hit, purpose=banned)
        offer_id = hit.dataset.offers[0].id
        with pytest.raises(d4h.NegotiationTerminatedError) as refused:
            session.negotiations.negotiate(hit, purpose=banned, offer_id=offer_id, timeout=30)
    assert any("Art 54" in line for line in refused.value.reason)


@pytest.mark.d4h_sandbox(seed=3, patients=20)
def test_flow_survives_provider_error_bursts(d4h_sandbox_fresh: Sandbox) -> None:
    """Fault injection: two 503s on every catalog and data request; retries carry the flow through."""
    d4h_sandbox_fresh.faults = FaultPlan(
        errors=(
            ErrorBurst(path="*/catalog/*", count=2, status=503, retry_after_s=0),
            ErrorBurst(path="/data/*", method="GET", count=2, status=503, retry_after_s=0),
        )
    )
    with d4h.Session.sandbox(d4h_sandbox_fresh, backend="dsp") as session:
        assert session.default_provider is not None
        hit = session.catalog.get(session.default_provider, "diabetes-sample", purpose=RESEARCH)
        contract = session.negotiations.negotiate(hit, purpose=RESEARCH)
        with session.transfers.pull(contract) as download:
            body = download.read_bytes()
        assert download.verified and body.startswith(b"patient_id")
