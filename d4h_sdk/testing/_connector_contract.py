"""``ConnectorContract``: the behaviour every connector backend shows against the sandbox data space.

Subclass it under a name starting with ``Test`` and implement :meth:`make_connector`; the suite starts one
sandbox per class (fixture ``contract_sandbox``) and runs a consumer's whole protocol through your connector::

    class TestMyConnector(ConnectorContract):
        def make_connector(self, sandbox: Sandbox) -> Connector:
            return MyConnector(...)  # acting as sandbox participant "research-lab"

Both built-in backends pass it: ``EdcConnector`` through the sandbox's EDC Management API facade and
``DspConnector`` straight over DSP. The base class has no ``Test`` prefix: pytest does not collect it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import pytest

from d4h_sdk.connectors import Connector, NegotiationStatus, Provider, TransferStatus
from d4h_sdk.errors import D4HError, UnsupportedOperationError
from d4h_sdk.models import Offer
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState

if TYPE_CHECKING:
    from d4h_sdk.sandbox import Sandbox

__all__ = ["ConnectorContract"]

S = TypeVar("S")

_WAIT_S = 20.0
_DATASET = "diabetes-sample"


def _until(fetch: Callable[[], S], done: Callable[[S], bool], what: str) -> S:
    deadline = time.monotonic() + _WAIT_S
    delay = 0.02
    while True:
        status = fetch()
        if done(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {status!r} after {_WAIT_S} s")
        time.sleep(delay)
        delay = min(0.25, delay * 1.5)


class ConnectorContract:
    """The consumer-side behaviour a :class:`~d4h_sdk.connectors.Connector` must show against the sandbox."""

    consumer: str = "research-lab"
    """The sandbox participant the connector acts as (an active member whose requests are granted)."""

    def make_connector(self, sandbox: Sandbox) -> Connector:
        """Return a connector acting as :attr:`consumer` in ``sandbox`` (closed by the suite)."""
        raise NotImplementedError

    # -- fixtures --------------------------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> Iterator[Sandbox]:
        """One sandbox per test class (page size 2, so catalogs have several pages)."""
        from d4h_sdk.sandbox import Sandbox

        with Sandbox(seed=5, patients=20, page_size=2) as sandbox:
            yield sandbox

    @pytest.fixture(scope="class")
    @classmethod
    def connector(cls, contract_sandbox: Sandbox) -> Iterator[Connector]:
        """The connector under test."""
        made = cls().make_connector(contract_sandbox)
        try:
            yield made
        finally:
            made.close()

    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls, contract_sandbox: Sandbox) -> Provider:
        """The sandbox provider as seen by a consumer."""
        return Provider(contract_sandbox.provider_url, participant_id=contract_sandbox.provider.did)

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def requested(offer: Offer, dataset_id: str, provider: Provider, purpose: str | None) -> Offer:
        """The provider's offer as a consumer requests it (target, assigner, declared purpose)."""
        from d4h_sdk.negotiation import requested_offer

        return requested_offer(
            offer, dataset_id=dataset_id, provider_id=provider.participant_id, purpose=purpose
        )

    def agreement(self, connector: Connector, provider: Provider) -> str:
        """Negotiate the public sample for scientific research; return the agreement id."""
        from d4h_sdk import purposes

        dataset = connector.get_dataset(provider, _DATASET)
        offer = self.requested(dataset.offers[0], _DATASET, provider, purposes.SCIENTIFIC_RESEARCH.iri)
        negotiation_id = connector.start_negotiation(provider, offer)
        status = _until(
            lambda: connector.get_negotiation(negotiation_id), lambda s: s.state.is_final, "negotiation"
        )
        assert status.state is NegotiationState.FINALIZED, f"not finalized: {status}"
        assert status.agreement_id
        return status.agreement_id

    def started_pull(self, connector: Connector, provider: Provider) -> str:
        """A pull transfer under a fresh agreement, waited for until STARTED; returns its id."""
        transfer_id = connector.start_transfer(provider, self.agreement(connector, provider))
        status = _until(
            lambda: connector.get_transfer(transfer_id),
            lambda s: s.state in (TransferState.STARTED, TransferState.TERMINATED),
            "transfer start",
        )
        assert status.state is TransferState.STARTED, f"transfer did not start: {status}"
        return transfer_id

    # -- catalog ---------------------------------------------------------------------------------------------

    def test_catalog_pages_cover_every_visible_dataset(
        self, connector: Connector, provider: Provider, contract_sandbox: Sandbox
    ) -> None:
        """Following ``next_cursor`` yields every dataset the consumer may see, each once."""
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(50):
            page = connector.request_catalog(provider, cursor=cursor)
            seen += [dataset.id or "" for dataset in page.catalog.datasets]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert len(seen) == len(set(seen)), f"a dataset came twice: {seen}"
        assert _DATASET in seen
        assert set(seen) <= {dataset.id for dataset in contract_sandbox.datasets}

    def test_get_dataset_has_offers(self, connector: Connector, provider: Provider) -> None:
        """A dataset request returns the dataset with its offers."""
        dataset = connector.get_dataset(provider, _DATASET)
        assert dataset.id == _DATASET
        assert dataset.offers and all(offer.id for offer in dataset.offers)

    def test_unknown_dataset_is_an_error(self, connector: Connector, provider: Provider) -> None:
        """An unknown dataset raises a d4h_sdk error, not a crash or an empty dataset."""
        with pytest.raises(D4HError):
            connector.get_dataset(provider, "no-such-dataset")

    # -- negotiation -----------------------------------------------------------------------------------------

    def test_negotiation_reaches_finalized_with_an_agreement(
        self, connector: Connector, provider: Provider
    ) -> None:
        """A granted request ends FINALIZED; the agreement is retrievable and covers the dataset."""
        agreement_id = self.agreement(connector, provider)
        agreement = connector.get_agreement(agreement_id)
        assert agreement.target == _DATASET

    def test_prohibited_purpose_is_terminated_with_a_reason(
        self, connector: Connector, provider: Provider
    ) -> None:
        """A request for a purpose EHDS Art 54 prohibits ends TERMINATED, and the status says why."""
        from d4h_sdk import purposes

        dataset = connector.get_dataset(provider, _DATASET)
        offer = self.requested(dataset.offers[0], _DATASET, provider, purposes.ADVERTISING.iri)
        negotiation_id = connector.start_negotiation(provider, offer)
        status: NegotiationStatus = _until(
            lambda: connector.get_negotiation(negotiation_id), lambda s: s.state.is_final, "refusal"
        )
        assert status.state is NegotiationState.TERMINATED
        assert status.reason, "a termination without a reason"
        assert status.agreement_id is None

    def test_unknown_negotiation_is_an_error(self, connector: Connector) -> None:
        """Asking for a negotiation that does not exist raises a d4h_sdk error."""
        with pytest.raises(D4HError):
            connector.get_negotiation("urn:uuid:00000000-0000-0000-0000-000000000000")

    # -- transfer --------------------------------------------------------------------------------------------

    def test_pull_transfer_gives_a_working_edr(
        self, connector: Connector, provider: Provider, contract_sandbox: Sandbox
    ) -> None:
        """A started pull transfer has an EDR whose token fetches the dataset's bytes."""
        from d4h_sdk._http import HttpClient

        transfer_id = self.started_pull(connector, provider)
        edr = connector.get_edr(transfer_id)
        assert edr.endpoint.startswith("http") and edr.authorization
        expected = b"".join(next(d for d in contract_sandbox.datasets if d.id == _DATASET).payload().source())
        with HttpClient() as http:
            body = http.get(
                edr.endpoint,
                headers={"Authorization": f"Bearer {edr.authorization}", "Accept-Encoding": "identity"},
            ).content
        assert body == expected

    def test_transfer_suspend_and_resume(self, connector: Connector, provider: Provider) -> None:
        """A started transfer can be suspended and resumed; each state is reported."""
        transfer_id = self.started_pull(connector, provider)
        connector.suspend_transfer(transfer_id, reason="pause")
        _until(
            lambda: connector.get_transfer(transfer_id),
            lambda s: s.state is TransferState.SUSPENDED,
            "suspend",
        )
        connector.resume_transfer(transfer_id)
        _until(
            lambda: connector.get_transfer(transfer_id), lambda s: s.state is TransferState.STARTED, "resume"
        )

    def test_transfer_complete(self, connector: Connector, provider: Provider) -> None:
        """A consumer can complete a started transfer (a backend without the call raises a typed error)."""
        transfer_id = self.started_pull(connector, provider)
        try:
            connector.complete_transfer(transfer_id)
        except UnsupportedOperationError as exc:
            # EDC's Management API has no consumer-side completion: the error must say what to do instead.
            assert "terminate" in str(exc), f"{connector.kind}: an unhelpful refusal: {exc}"
            return
        status: TransferStatus = _until(
            lambda: connector.get_transfer(transfer_id), lambda s: s.state.is_final, "completion"
        )
        assert status.state is TransferState.COMPLETED

    def test_transfer_terminate(self, connector: Connector, provider: Provider) -> None:
        """A started transfer can be terminated."""
        transfer_id = self.started_pull(connector, provider)
        connector.terminate_transfer(transfer_id, reason="no longer needed")
        status = _until(
            lambda: connector.get_transfer(transfer_id), lambda s: s.state.is_final, "termination"
        )
        assert status.state is TransferState.TERMINATED

    def test_transfer_under_unknown_agreement_fails(self, connector: Connector, provider: Provider) -> None:
        """A transfer under an agreement that does not exist is refused or terminated, never started."""
        try:
            transfer_id = connector.start_transfer(provider, "urn:uuid:no-such-agreement")
        except D4HError:
            return
        status = _until(
            lambda: connector.get_transfer(transfer_id),
            lambda s: s.state in (TransferState.TERMINATED, TransferState.STARTED),
            "refusal",
        )
        assert status.state is TransferState.TERMINATED
