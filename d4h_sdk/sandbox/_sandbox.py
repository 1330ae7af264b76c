"""The sandbox data space in one object: an authority, three participants and a provider connector.

```python
from d4h_sdk.sandbox._sandbox import Sandbox

with Sandbox(seed=1, patients=50) as ds:
    print(ds.provider_url)                     # http://127.0.0.1:<port>/2025-1
    lab = ds.participants["research-lab"]
    token = lab.issue_token(ds.provider.did)   # Authorization: Bearer <token>
```
"""

from __future__ import annotations

import os
import time
from types import TracebackType

from d4h_sdk.sandbox._authority import DataspaceAuthority, OrganizationProfile
from d4h_sdk.sandbox._faults import FaultPlan
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._provider_catalog import DEFAULT_PAGE_SIZE
from d4h_sdk.sandbox._store import SqliteProviderStore
from d4h_sdk.sandbox.synthetic import SandboxDataset, default_datasets

__all__ = ["AD_COMPANY", "PROVIDER", "RESEARCH_LAB", "Sandbox"]

PROVIDER = "hospital"
"""Name of the provider participant."""

RESEARCH_LAB = "research-lab"
"""Name of the consumer with an active membership and a public research organisation credential."""

AD_COMPANY = "ad-company"
"""Name of the consumer without an active membership (a lapsed member, a private advertising company)."""

_AD_PROFILE = OrganizationProfile(
    organization_type="advertising-company",
    organization_ownership_type="private",
    organization_roles=(),
)


class Sandbox:
    """A running sandbox data space on loopback (started by the constructor; use ``with`` or :meth:`close`).

    It hosts a trusted dataspace authority, the provider ``hospital`` and two consumers: ``research-lab``
    (active member, public research organisation in LU) and ``ad-company`` (membership ``inactive``, private
    advertising company, so every sandbox policy refuses it), and serves the provider connector with the
    default synthetic datasets.

    Args:
        seed: The seed of the synthetic data.
        patients: Patients per synthetic cohort.
        store_path: A SQLite file for the provider's state (a restarted sandbox continues from it);
            default in memory.
        faults: A fault plan for the provider (default none; change it later with :attr:`faults`).
        page_size: Largest number of datasets per catalog page.

    Attributes:
        host: The participant host (DID documents, STSs, credential services).
        authority: The dataspace authority.
        provider: The provider participant.
        connector: The provider connector.
        participants: Participants by name.
        datasets: The published datasets.
        start_s: How long the start took, in seconds.

    Raises:
        ConfigurationError: A server cannot start or an option is invalid.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        patients: int = 200,
        store_path: str | os.PathLike[str] | None = None,
        faults: FaultPlan | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        started = time.perf_counter()
        self.host = ParticipantHost()
        self._connector: ProviderConnector | None = None
        self._owned_store: SqliteProviderStore | None = None
        try:
            self.authority: DataspaceAuthority = self.host.add_authority()
            self.provider: Participant = self.host.add_participant(PROVIDER)
            self.host.add_participant(RESEARCH_LAB)
            self.host.add_participant(AD_COMPANY, membership="inactive", organization=_AD_PROFILE)
            store = SqliteProviderStore(store_path) if store_path is not None else None
            self._owned_store = store
            self._connector = ProviderConnector(
                self.provider, store=store, faults=faults, page_size=page_size
            )
            self._connector.serve()
            self.datasets: list[SandboxDataset] = default_datasets(
                seed=seed, patients=patients, access_url=self._connector.dsp_url()
            )
            for dataset in self.datasets:
                self._connector.add_dataset(dataset)
            self.provider.publish(
                dsp_endpoint=self.version_url, catalog_endpoint=f"{self.provider_url}/catalog"
            )
        except BaseException:
            self.close()
            raise
        self.start_s = time.perf_counter() - started

    def __repr__(self) -> str:
        return f"Sandbox(provider_url={self.provider_url!r}, participants={sorted(self.participants)})"

    @property
    def connector(self) -> ProviderConnector:
        """The provider connector."""
        assert self._connector is not None  # set by the constructor, which raises otherwise
        return self._connector

    @property
    def faults(self) -> FaultPlan:
        """The provider's fault plan; assign a :class:`FaultPlan` to change it while running."""
        return self.connector.faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self.connector.faults = plan

    @property
    def participants(self) -> dict[str, Participant]:
        """Participants by name (``hospital``, ``research-lab``, ``ad-company``)."""
        return self.host.participants

    @property
    def provider_url(self) -> str:
        """The provider's DSP 2025-1 base URL."""
        return self.connector.dsp_url("2025-1")

    @property
    def version_url(self) -> str:
        """The provider's ``/.well-known/dspace-version`` URL."""
        return f"{self.connector.url}/.well-known/dspace-version"

    def close(self) -> None:
        """Stop every server and release the store (idempotent)."""
        if self._connector is not None:
            self._connector.close()
        store, self._owned_store = self._owned_store, None
        if store is not None:
            store.close()
        self.host.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
