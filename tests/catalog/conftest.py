"""A test Connector over in-memory catalog pages built like the sandbox provider renders them."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import pytest

from d4h_sdk.connectors import CatalogPage, NegotiationStatus, Provider, TransferStatus
from d4h_sdk.errors import APIConnectionError, NotFoundError, UnsupportedOperationError
from d4h_sdk.models import Catalog, Dataset, EndpointDataReference, Offer
from d4h_sdk.models.catalog import DataService
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import DataAddress
from d4h_sdk.sandbox._provider_catalog import dataset_view
from d4h_sdk.sandbox.synthetic import SandboxDataset, default_datasets

HOSPITAL = "did:web:hospital.example"
LAB_CLAIMS: Mapping[str, Any] = {
    "membershipStatus": "active",
    "euEeaStatus": "eu-member-state",
    "dacApproval": True,
    "organizationType": "research-organisation",
}
"""Claims of a research lab: active EU member with a data access committee approval."""


def views(
    datasets: Sequence[SandboxDataset], *, address: str = "http://hospital.example/dsp"
) -> list[Dataset]:
    """The DSP datasets as the sandbox provider renders them (every offer listed)."""
    service = DataService(id=f"{address}#service", endpoint_url=address)
    return [dataset_view(item, item.offers, service=service, assigner=HOSPITAL) for item in datasets]


@pytest.fixture(scope="session")
def sandbox_datasets() -> list[SandboxDataset]:
    return default_datasets(seed=1, patients=30, bigfile_size=1024)


@pytest.fixture(scope="session")
def hospital_views(sandbox_datasets: list[SandboxDataset]) -> list[Dataset]:
    return views(sandbox_datasets)


class PagedConnector:
    """Serves catalog pages per provider address; counts requests and in-flight calls; fails on demand.

    Pages are built from the datasets' wire dicts, so their Dataset models are built lazily (like a
    decoded catalog).
    """

    kind = "test"

    def __init__(
        self,
        catalogs: Mapping[str, Sequence[Dataset]],
        *,
        page_size: int = 2,
        delay: float = 0.0,
        failing: Mapping[str, Exception] | None = None,
    ) -> None:
        self.raw = {
            address: [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in datasets]
            for address, datasets in catalogs.items()
        }
        self.models = {address: list(datasets) for address, datasets in catalogs.items()}
        self.page_size = page_size
        self.delay = delay
        self.failing = dict(failing or {})
        self.requests: list[tuple[str, str | None, int | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        with self._lock:
            self.requests.append((provider.address, cursor, page_size))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if provider.address in self.failing:
                raise self.failing[provider.address]
            items = self.raw.get(provider.address)
            if items is None:
                raise APIConnectionError(f"cannot reach {provider.address}", url=provider.address)
            offset = int(cursor or 0)
            size = page_size or self.page_size
            catalog = Catalog.model_validate(
                {
                    "@id": f"{provider.address}#catalog",
                    "participantId": HOSPITAL,
                    "dataset": items[offset : offset + size],
                }
            )
            more = offset + size < len(items)
            return CatalogPage(catalog=catalog, next_cursor=str(offset + size) if more else None)
        finally:
            with self._lock:
                self.in_flight -= 1

    def get_dataset(self, provider: Provider, dataset_id: str) -> Dataset:
        for item in self.models.get(provider.address, []):
            if item.id == dataset_id:
                return item
        raise NotFoundError(f"no dataset {dataset_id}", status_code=404)

    def _unsupported(self) -> NoReturn:
        raise UnsupportedOperationError("the catalog test connector only serves catalogs")

    def start_negotiation(self, provider: Provider, offer: Offer) -> str:
        self._unsupported()

    def get_negotiation(self, negotiation_id: str) -> NegotiationStatus:
        self._unsupported()

    def terminate_negotiation(self, negotiation_id: str, *, reason: str | None = None) -> None:
        self._unsupported()

    def get_agreement(self, agreement_id: str) -> Agreement:
        self._unsupported()

    def start_transfer(
        self,
        provider: Provider,
        agreement_id: str,
        *,
        transfer_type: str = "HttpData-PULL",
        data_destination: DataAddress | None = None,
    ) -> str:
        self._unsupported()

    def get_transfer(self, transfer_id: str) -> TransferStatus:
        self._unsupported()

    def suspend_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        self._unsupported()

    def resume_transfer(self, transfer_id: str) -> None:
        self._unsupported()

    def complete_transfer(self, transfer_id: str) -> None:
        self._unsupported()

    def terminate_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        self._unsupported()

    def get_edr(self, transfer_id: str, *, refresh: bool = False) -> EndpointDataReference:
        self._unsupported()

    def close(self) -> None:
        pass
