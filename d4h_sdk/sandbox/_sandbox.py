"""The sandbox data space in one object: an authority, three participants and a provider connector.

```python
from d4h_sdk.sandbox._sandbox import Sandbox

with Sandbox(seed=1, patients=50) as ds:
    print(ds.provider_url)                     # http://127.0.0.1:<port>/2025-1
    lab = ds.participants["research-lab"]
    token = lab.issue_token(ds.provider.did)   # Authorization: Bearer <token>
    url = ds.management_url("research-lab")    # an EDC Management API (v3 and v4) over DSP
    key = ds.management_api_key("research-lab")  # its X-Api-Key
```
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from d4h_sdk._http import HttpClient
from d4h_sdk.identity.dcp import Scope
from d4h_sdk.sandbox._authority import DS4H_SCOPES, DataspaceAuthority, OrganizationProfile
from d4h_sdk.sandbox._faults import FaultPlan
from d4h_sdk.sandbox._identities import IdentityFile, open_host, serve_provider
from d4h_sdk.sandbox._management import ManagementServer
from d4h_sdk.sandbox._management_consumer import ConsumerManagement
from d4h_sdk.sandbox._management_provider import ProviderManagement
from d4h_sdk.sandbox._participants import Participant, ParticipantHost
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.sandbox._provider_catalog import DEFAULT_PAGE_SIZE
from d4h_sdk.sandbox._store import SqliteProviderStore
from d4h_sdk.sandbox.synthetic import SandboxDataset, default_datasets

if TYPE_CHECKING:
    from d4h_sdk.connectors import Connector
    from d4h_sdk.connectors._dsp import DspConnector

__all__ = ["AD_COMPANY", "PROVIDER", "RESEARCH_LAB", "Sandbox"]

PROVIDER = "hospital"
"""Name of the provider participant."""

RESEARCH_LAB = "research-lab"
"""Name of the consumer with an active membership and a public research organisation credential."""

AD_COMPANY = "ad-company"
"""Name of the consumer without an active membership (a lapsed member, a private advertising company)."""

CONSUMERS: tuple[str, ...] = (RESEARCH_LAB, AD_COMPANY)
"""The consumer participants; each gets an EDC Management API facade."""

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
    default synthetic datasets. Every participant also has an EDC Management API (v3 and v4 paths, behind
    an ``X-Api-Key``; see :meth:`management_url`): the consumers' translate onto their own
    :class:`~d4h_sdk.connectors.DspConnector` (created on first use), the hospital's publishes assets.

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
        # With a store, keys and ports are kept beside it: a restarted sandbox has the same DIDs and URLs.
        identities = IdentityFile.beside(store_path) if store_path is not None else None
        self.host = open_host(identities) if identities is not None else ParticipantHost()
        self._connector: ProviderConnector | None = None
        self._owned_store: SqliteProviderStore | None = None
        self._management = ManagementServer()
        self._management_http = HttpClient(timeout=(2, 30), max_retries=1)

        def key(name: str) -> dict[str, Any] | None:
            return identities.private_jwk(name) if identities is not None else None

        try:
            authority_key = (
                identities.signer("authority", self.host.did_for("authority"))
                if identities is not None
                else None
            )
            self.authority: DataspaceAuthority = self.host.add_authority(signer=authority_key)
            self.provider: Participant = self.host.add_participant(PROVIDER, private_jwk=key(PROVIDER))
            self.host.add_participant(RESEARCH_LAB, private_jwk=key(RESEARCH_LAB))
            self.host.add_participant(
                AD_COMPANY, membership="inactive", organization=_AD_PROFILE, private_jwk=key(AD_COMPANY)
            )
            store = SqliteProviderStore(store_path) if store_path is not None else None
            self._owned_store = store
            self._connector = ProviderConnector(
                self.provider, store=store, faults=faults, page_size=page_size
            )
            if identities is not None:
                serve_provider(identities, self._connector)
            else:
                self._connector.serve()
            self.datasets: list[SandboxDataset] = default_datasets(
                seed=seed, patients=patients, access_url=self._connector.dsp_url()
            )
            for dataset in self.datasets:
                self._connector.add_dataset(dataset)
            if identities is not None:
                identities.save()
                self._connector.resume()
            self.provider.publish(
                dsp_endpoint=self.version_url, catalog_endpoint=f"{self.provider_url}/catalog"
            )
            self._serve_management()
        except BaseException:
            self.close()
            raise
        self.start_s = time.perf_counter() - started

    def _serve_management(self) -> None:
        self._management.add_provider(PROVIDER, ProviderManagement(self.connector, self._management_http))
        for name in CONSUMERS:
            participant = self.participants[name]
            self._management.add_consumer(
                name, ConsumerManagement(participant.did, _dsp_factory(participant), self._management_http)
            )
        self._management.serve()

    def management_url(self, name: str) -> str:
        """The EDC Management API base URL of a participant (append ``/v3/...`` or ``/v4/...``).

        Raises:
            ConfigurationError: ``name`` is not a sandbox participant.
        """
        return self._management.url(name)

    def management_api_key(self, name: str) -> str:
        """The ``X-Api-Key`` of a participant's management API (sandbox-only, random per sandbox).

        Raises:
            ConfigurationError: ``name`` is not a sandbox participant.
        """
        return self._management.api_key(name)

    def consumer_connector(self, name: str) -> DspConnector:
        """The DspConnector behind a consumer's management API (created on first call).

        Raises:
            ConfigurationError: ``name`` is not a consumer.
        """
        connector = self._management.consumer(name).connector
        return connector  # type: ignore[return-value]  # the factory builds a DspConnector

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
    def scopes(self) -> tuple[Scope, ...]:
        """The DCP scopes a consumer asks for in its tokens (the credentials the provider queries)."""
        return tuple(DS4H_SCOPES)

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
        self._management.close()
        self._management_http.close()
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


def _dsp_factory(participant: Participant) -> Callable[[], Connector]:
    """Builds the participant's DspConnector (DCP tokens minted in process by its STS)."""

    def build() -> Connector:
        from d4h_sdk.connectors._dsp import DspConnector

        return DspConnector(
            participant_id=participant.did,
            token_source=participant.sts,
            scopes=tuple(str(scope) for scope in DS4H_SCOPES),
        )

    return build
