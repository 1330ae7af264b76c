"""The sandbox provider connector: DSP 2025-1 and 2024-1 over HTTP, DCP-authenticated, policy-enforcing.

:class:`ProviderConnector` is a WSGI application serving, under ``/2025-1`` and ``/2024-1``:

* ``POST /catalog/request`` and ``GET /catalog/datasets/{id}``: the datasets the requester may see (a dataset
  is visible when at least one of its offers is permitted or undecided for the requester's verified claims;
  only those offers are listed);
* the provider side of contract negotiation (``/negotiations/...``) and transfer (``/transfers/...``),
  through the pure state machines, with the automatic moves of
  :class:`~d4h_sdk.sandbox._provider_flows.ProviderEngine` (agree or terminate after a policy decision,
  finalize after verification, start pull transfers with an EDR token, push and complete push transfers);

plus ``GET /.well-known/dspace-version`` (unauthenticated) and the data plane at ``/data/{transfer id}``.
The request handlers are :class:`~d4h_sdk.sandbox._provider_routes.DspRoutes`. The catalog is paginated
(``?offset=&limit=``, ``Link`` headers; see :mod:`~d4h_sdk.sandbox._provider_catalog`) and accepts
``keyword``/``id`` filters. Every request passes through a :class:`~d4h_sdk.sandbox._faults.FaultInjector`
whose plan is :attr:`ProviderConnector.faults`. Every DSP request is authenticated by DCP
(:func:`~d4h_sdk.sandbox._participants.verify_request`); a failure is 401 on the catalog and on requests that
create a process, 404 on an existing negotiation or transfer (the spec's "unauthorised -> 404"). Bodies are
encoded in the dialect of the path, ``application/json``.

The provider also moves on its own: :meth:`ProviderConnector.offer` answers a request held with
:attr:`ProviderConnector.hold_requests` by a counter-offer, :meth:`ProviderConnector.initiate_offer` starts a
negotiation with an offer to a consumer, and the ``suspend``/``complete``/``terminate`` methods end or pause
processes. On a store of a previous run, EDR revocations are restored at once and
:meth:`ProviderConnector.resume` makes the automatic moves that were left pending.

```python
connector = ProviderConnector(provider_participant)
server = connector.serve()            # a LoopbackServer on 127.0.0.1
connector.add_dataset(dataset)
...
connector.close()
```
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models.policy import Offer
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._authority import DS4H_SCOPES, policy_claims
from d4h_sdk.sandbox._dataplane import DataPlane, DataSource
from d4h_sdk.sandbox._edr import EdrTokenIssuer, EdrTokenValidator, RevocationList
from d4h_sdk.sandbox._faults import FaultInjector, FaultPlan
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Router
from d4h_sdk.sandbox._participants import Participant, verify_request
from d4h_sdk.sandbox._provider_catalog import DEFAULT_PAGE_SIZE, DSP_VERSIONS, PULL_FORMAT, PUSH_FORMAT
from d4h_sdk.sandbox._provider_flows import CallbackSender, DatasetRegistry, ProviderEngine
from d4h_sdk.sandbox._provider_routes import Claims, DspRoutes
from d4h_sdk.sandbox._store import ProviderStore, SqliteProviderStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from d4h_sdk.sandbox.synthetic import SandboxDataset

__all__ = ["DSP_VERSIONS", "PULL_FORMAT", "PUSH_FORMAT", "ProviderConnector"]


class ProviderConnector:
    """A DSP provider connector for the sandbox (a WSGI application).

    Args:
        participant: The provider participant (its DID is the ``participantId``, its key signs EDR tokens
            and callback tokens, its host verifies consumers).
        datasets: Datasets to publish at once (more with :meth:`add_dataset`).
        store: Where negotiations, transfers and agreements are kept; default an in-memory SQLite store
            (owned and closed by the connector).
        trusted_issuers: Credential type -> issuer DIDs; default the participant host's trust list.
        edr_lifetime_s: Lifetime of EDR tokens.
        max_workers: Background worker threads.
        callback_attempts: Attempts per callback (retried on connection errors only).
        page_size: Largest number of datasets per catalog page.
        faults: The initial fault plan (default none; change it at runtime through :attr:`faults`).
        authenticator: Replaces the DCP check: takes the ``Authorization`` header, returns the requester id
            and its policy claims, raises VerificationError (the TCK mode, :mod:`~d4h_sdk.sandbox._tck`).
        engine_factory: Builds the :class:`ProviderEngine` (same keyword arguments); a subclass scripts the
            provider's automatic moves (the TCK mode).

    Raises:
        ConfigurationError: An option is out of range.
    """

    def __init__(
        self,
        participant: Participant,
        datasets: Iterable[SandboxDataset] = (),
        *,
        store: ProviderStore | None = None,
        trusted_issuers: Mapping[str, Iterable[str]] | None = None,
        edr_lifetime_s: float = 300,
        max_workers: int = 4,
        callback_attempts: int = 3,
        page_size: int = DEFAULT_PAGE_SIZE,
        faults: FaultPlan | None = None,
        authenticator: Callable[[str | None], Claims] | None = None,
        engine_factory: Callable[..., ProviderEngine] = ProviderEngine,
    ) -> None:
        if max_workers < 1:
            raise ConfigurationError(f"max_workers must be at least 1, got {max_workers}")
        if page_size < 1:
            raise ConfigurationError(f"page_size must be at least 1, got {page_size}")
        self.page_size = page_size
        self._faults = FaultInjector(self._dispatch, faults)
        self.participant = participant
        self._owns_store = store is None
        self.store: ProviderStore = store if store is not None else SqliteProviderStore()
        self._trusted = (
            {kind: frozenset(dids) for kind, dids in trusted_issuers.items()}
            if trusted_issuers is not None
            else None
        )
        self._registry = DatasetRegistry()
        self._authenticator = authenticator
        self._state_lock = threading.RLock()
        self._base_url: str | None = None
        self._server: LoopbackServer | None = None
        self._closed = False
        self.revocations = RevocationList()
        self.edr_issuer = EdrTokenIssuer(
            participant.signer,
            issuer_did=participant.did,
            lifetime_s=edr_lifetime_s,
            clock=self._edr_clock,
            revocations=self.revocations,
        )
        validator = EdrTokenValidator(
            participant.signer.public_jwk(), issuer_did=participant.did, revocations=self.revocations
        )
        self._dataplane = DataPlane(validator, self._data_source)
        self._callback_http = HttpClient(timeout=(2, 10), max_retries=0)
        self._push_http = HttpClient(timeout=(2, 30), max_retries=1)
        self.engine = engine_factory(
            participant=participant,
            store=self.store,
            registry=self._registry,
            state_lock=self._state_lock,
            sender=CallbackSender(
                participant, self._callback_http, attempts=callback_attempts, faults=lambda: self.faults
            ),
            edr_issuer=self.edr_issuer,
            revocations=self.revocations,
            base_url=self._root,
            push_http=self._push_http,
            max_workers=max_workers,
        )
        self.engine.restore_revocations()
        self._router = Router()
        DspRoutes(
            participant=participant,
            store=self.store,
            registry=self._registry,
            engine=self.engine,
            state_lock=self._state_lock,
            authenticate=self._authenticate,
            page_size=lambda: self.page_size,
        ).install(self._router)
        for dataset in datasets:
            self.add_dataset(dataset)

    def __repr__(self) -> str:
        return f"ProviderConnector(did={self.participant.did!r}, url={self._base_url!r})"

    # -- setup ---------------------------------------------------------------------------------------------

    def serve(self, *, port: int = 0) -> LoopbackServer:
        """Serve the connector on ``127.0.0.1`` (stopped by :meth:`close`).

        Args:
            port: The port; ``0`` picks a free one.

        Returns:
            The running server.

        Raises:
            ConfigurationError: Already serving, or the port cannot be bound.
        """
        if self._server is not None:
            raise ConfigurationError("the provider connector is already served")
        self._server = LoopbackServer(self, port=port, name="provider")
        self._base_url = self._server.url
        return self._server

    @property
    def url(self) -> str:
        """The root URL (``http://127.0.0.1:<port>``), where ``/.well-known/dspace-version`` lives.

        Raises:
            ConfigurationError: The connector is not served yet.
        """
        return self._root()

    def dsp_url(self, version: str = "2025-1") -> str:
        """The versioned DSP base URL (``<root>/2025-1``).

        Raises:
            ConfigurationError: An unknown version, or the connector is not served yet.
        """
        if version not in DSP_VERSIONS:
            raise ConfigurationError(f"unknown DSP version {version!r}; served: {', '.join(DSP_VERSIONS)}")
        return f"{self._root()}/{version}"

    def _root(self) -> str:
        if self._base_url is None:
            raise ConfigurationError("the provider connector is not served yet; call serve() first")
        return self._base_url

    @property
    def faults(self) -> FaultPlan:
        """The fault plan in force; assign a new :class:`FaultPlan` to change it (counters restart)."""
        return self._faults.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self._faults.plan = plan

    def _edr_clock(self) -> float:
        """The EDR issuer's clock: an hour and a lifetime in the past under ``expired_edr``."""
        now = time.time()
        if self._faults.plan.expired_edr:
            return now - 3600 - self.edr_issuer.lifetime_s
        return now

    def resume(self) -> int:
        """Continue what a previous run on the same store left pending (call once served, datasets added).

        The EDR revocations of stored transfers are restored when the connector is created; this schedules
        the automatic moves that were due when the previous run stopped: finalize verified negotiations,
        agree on accepted offers, start (or refuse) requested transfers. Requests awaiting a policy decision
        stay REQUESTED (the requester's claims are not stored).

        Returns:
            How many moves were scheduled.

        Raises:
            ConfigurationError: The connector is not served yet.
        """
        self._root()
        return self.engine.resume_pending()

    def add_dataset(self, dataset: SandboxDataset) -> None:
        """Publish a dataset (replacing one with the same id)."""
        self._registry.add(dataset)

    def remove_dataset(self, dataset_id: str) -> bool:
        """Withdraw a dataset from the catalog (running agreements keep their data); True if it existed."""
        return self._registry.remove(dataset_id)

    @property
    def datasets(self) -> list[SandboxDataset]:
        """The published datasets."""
        return self._registry.all()

    def close(self) -> None:
        """Stop the server, wait for background steps, close HTTP clients and an owned store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._faults.close()
        if self._server is not None:
            self._server.stop()
        self.engine.close()
        self._callback_http.close()
        self._push_http.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> ProviderConnector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- provider-initiated moves --------------------------------------------------------------------------

    def terminate_negotiation(self, provider_pid: str, reason: str, *, code: str | None = None) -> bool:
        """Terminate a negotiation from the provider side and notify the consumer.

        Returns:
            False when no such negotiation exists.

        Raises:
            NegotiationError: The negotiation is already over.
        """
        step = self.engine.negotiation_move(provider_pid, lambda r: nsm.terminate(r, code, (reason,)))
        return step is not None

    @property
    def hold_requests(self) -> bool:
        """Whether consumer requests wait in REQUESTED for a provider move instead of a policy decision.

        Set it to True before a consumer's request to answer it with :meth:`offer` (or
        :meth:`terminate_negotiation`); the default False agrees or terminates by policy at once.
        """
        return self.engine.hold_requests

    @hold_requests.setter
    def hold_requests(self, hold: bool) -> None:
        self.engine.hold_requests = hold

    def offer(self, provider_pid: str, offer: Offer) -> bool:
        """Answer a held request with an offer (ContractOfferMessage to the consumer): REQUESTED -> OFFERED.

        The consumer accepts (the provider then agrees on exactly this offer), counters with a new request,
        or terminates. See :attr:`hold_requests`.

        Args:
            provider_pid: The negotiation.
            offer: The offer; it needs an ``@id``; a missing ``target`` is the negotiated dataset.

        Returns:
            False when no such negotiation exists.

        Raises:
            NegotiationError: The negotiation is not REQUESTED (e.g. already decided because requests were
                not held), or the offer has no ``@id``.
        """
        return self.engine.offer(provider_pid, offer) is not None

    def initiate_offer(
        self, consumer_callback: str, offer: Offer, *, consumer: str, version: str = "2025-1"
    ) -> str:
        """Start a negotiation by offering: ``POST <consumer_callback>/negotiations/offers`` (DSP §4.2).

        Args:
            consumer_callback: The consumer's DSP callback base URL.
            offer: The offer; it needs an ``@id`` and a ``target`` (a dataset).
            consumer: The consumer's participant id (DID): the audience of our token, the only participant
                who may continue the negotiation, and the agreement's assignee.
            version: The DSP version to speak (``2025-1`` or ``2024-1``).

        Returns:
            The provider pid of the negotiation, in state OFFERED.

        Raises:
            ConfigurationError: An unknown version, or the connector is not served yet.
            NegotiationError: An offer without ``@id``/target, or an unreadable answer.
            APIError: The consumer could not be reached or refused the offer.
        """
        self.dsp_url(version)  # checks the version and that we are served
        return self.engine.initiate_offer(
            offer, callback_address=consumer_callback, consumer=consumer, dialect=DSP_VERSIONS[version]
        )

    def suspend_transfer(self, provider_pid: str, reason: str | None = None) -> bool:
        """Suspend a started transfer (revokes its EDR tokens) and notify the consumer.

        Raises:
            TransferError: The transfer is not started.
        """
        reasons = (reason,) if reason else ()
        return self.engine.transfer_move(provider_pid, lambda r: tsm.suspend(r, None, reasons)) is not None

    def terminate_transfer(self, provider_pid: str, reason: str | None = None) -> bool:
        """Terminate a transfer (revokes its EDR tokens for good) and notify the consumer.

        Raises:
            TransferError: The transfer is already over.
        """
        reasons = (reason,) if reason else ()
        return self.engine.transfer_move(provider_pid, lambda r: tsm.terminate(r, None, reasons)) is not None

    def complete_transfer(self, provider_pid: str) -> bool:
        """Complete a started transfer and notify the consumer.

        Raises:
            TransferError: The transfer is not started.
        """
        return self.engine.transfer_move(provider_pid, tsm.complete) is not None

    # -- WSGI ----------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one WSGI request, through the fault injector."""
        return self._faults(environ, start_response)

    def _dispatch(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The data plane under ``/data/``, DSP and versions otherwise."""
        if str(environ.get("PATH_INFO", "")).startswith("/data/"):
            return self._dataplane(environ, start_response)
        return self._router(environ, start_response)

    def _data_source(self, transfer_id: str) -> DataSource | None:
        record = self.store.get_transfer(transfer_id)
        agreement = self.store.get_agreement(record.agreement_id) if record is not None else None
        if agreement is None or agreement.target is None:
            return None
        return self._registry.source(agreement.target)

    def _authenticate(self, request: Request) -> Claims:
        """Verify the consumer (DCP); returns its DID and its flattened claims.

        Raises:
            VerificationError: Any DCP failure.
        """
        if self._authenticator is not None:
            return self._authenticator(request.headers.get("Authorization"))
        verified = verify_request(
            request.headers.get("Authorization"),
            verifier_participant=self.participant,
            required_scopes=DS4H_SCOPES,
            trusted_issuers=self._trusted,
        )
        return verified.holder, policy_claims(verified)
