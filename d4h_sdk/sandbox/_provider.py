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
The catalog is paginated (``?offset=&limit=``, ``Link`` headers; see
:mod:`~d4h_sdk.sandbox._provider_catalog`) and accepts ``keyword``/``id`` filters. Every request passes
through a :class:`~d4h_sdk.sandbox._faults.FaultInjector` whose plan is :attr:`ProviderConnector.faults`.
Every DSP request is authenticated by DCP (:func:`~d4h_sdk.sandbox._participants.verify_request`); a failure
is 401 on the catalog and on requests that create a process, 404 on an existing negotiation or transfer (the
spec's "unauthorised -> 404"). Bodies are encoded in the dialect of the path, ``application/json``.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError, ConflictError, DecodeError, JsonLdError, VerificationError
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.catalog import (
    CatalogError,
    CatalogRequestMessage,
    DataService,
)
from d4h_sdk.models.negotiation import ContractNegotiationError, ContractRequestMessage
from d4h_sdk.models.transfer import TransferError, TransferRequestMessage
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._authority import DS4H_SCOPES, policy_claims
from d4h_sdk.sandbox._dataplane import DataPlane, DataSource
from d4h_sdk.sandbox._edr import EdrTokenIssuer, EdrTokenValidator, RevocationList
from d4h_sdk.sandbox._faults import FaultInjector, FaultPlan
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response
from d4h_sdk.sandbox._participants import Participant, verify_request
from d4h_sdk.sandbox._provider_catalog import (
    DEFAULT_PAGE_SIZE,
    DSP_VERSIONS,
    PULL_FORMAT,
    PUSH_FORMAT,
    catalog_page,
    dataset_view,
    version_response,
    visible_offers,
)
from d4h_sdk.sandbox._provider_flows import CallbackSender, DatasetRegistry, ProviderEngine
from d4h_sdk.sandbox._store import ProviderStore, SqliteProviderStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from d4h_sdk.sandbox.synthetic import SandboxDataset

__all__ = ["DSP_VERSIONS", "PULL_FORMAT", "PUSH_FORMAT", "ProviderConnector"]

_VERSION_PATH = "/.well-known/dspace-version"
_Claims = tuple[str, dict[str, Any]]
_Handler = Callable[[Request, Mapping[str, str]], Response]


@dataclass(frozen=True)
class _ProcessKind:
    """What differs between the negotiation and the transfer endpoints of one connector."""

    noun: str
    error: Callable[..., WireModel]
    get: Callable[[str], Any]
    save: Callable[[Any], None]
    on_message: Callable[..., nsm.Outcome[Any]]
    effects: Callable[[Iterable[Any], dict[str, Any]], None]


def _save_if_changed(before: Any, outcome: nsm.Outcome[Any], save: Callable[[Any], None]) -> None:
    """Store the record an accepted message produced, unless it is the stored one unchanged."""
    after = outcome.record
    if outcome.ok and after is not None and (before is None or after.version != before.version):
        save(after)


def _encoded(model: WireModel, dialect: str, status: int) -> Response:
    return json_response(wire.encode(model, dialect=dialect), status)


def _pids(request: Request, params: Mapping[str, str]) -> tuple[str, str]:
    """Best-effort pids for an error body (the schemas require both; unknown ones get a fresh URN)."""
    body = request.get_json(silent=True)
    found: dict[str, str] = {}
    if isinstance(body, Mapping):
        for key, value in body.items():
            name = key.rsplit(":", 1)[-1]
            if name in ("providerPid", "consumerPid") and isinstance(value, str):
                found[name] = value
    provider = params.get("pid") or found.get("providerPid") or nsm.new_pid()
    return provider, found.get("consumerPid") or nsm.new_pid()


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
        authenticator: Callable[[str | None], _Claims] | None = None,
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
        self._negotiations = _ProcessKind(
            noun="contract negotiation",
            error=ContractNegotiationError,
            get=self.store.get_negotiation,
            save=self.store.save_negotiation,
            on_message=nsm.on_message,
            effects=self.engine.negotiation_effects,
        )
        self._transfers = _ProcessKind(
            noun="transfer process",
            error=TransferError,
            get=self.store.get_transfer,
            save=self.store.save_transfer,
            on_message=tsm.on_message,
            effects=lambda effects, _claims: self.engine.transfer_effects(effects),
        )
        self._router = Router()
        self._router.add("GET", _VERSION_PATH, self._versions)
        for version, dialect in DSP_VERSIONS.items():
            self._add_routes(f"/{version}", dialect)
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

    def _add_routes(self, prefix: str, dialect: str) -> None:
        def bind(handler: Callable[[Request, Mapping[str, str], str], Response]) -> _Handler:
            return lambda request, params: handler(request, params, dialect)

        def expecting(
            kind: _ProcessKind, expected: str
        ) -> Callable[[Request, Mapping[str, str], str], Response]:
            return lambda request, params, dialect: self._process_message(
                kind, request, params, dialect, expected
            )

        def getter(kind: _ProcessKind) -> Callable[[Request, Mapping[str, str], str], Response]:
            return lambda request, params, dialect: self._process_get(kind, request, params, dialect)

        negotiation, transfer = self._negotiations, self._transfers
        routes: Sequence[tuple[str, str, Callable[[Request, Mapping[str, str], str], Response]]] = (
            ("POST", "/catalog/request", self._catalog),
            ("GET", "/catalog/datasets/{id}", self._dataset),
            ("POST", "/negotiations/request", self._negotiation_request),
            ("GET", "/negotiations/{pid}", getter(negotiation)),
            ("POST", "/negotiations/{pid}/request", expecting(negotiation, "ContractRequestMessage")),
            ("POST", "/negotiations/{pid}/events", expecting(negotiation, "ContractNegotiationEventMessage")),
            (
                "POST",
                "/negotiations/{pid}/agreement/verification",
                expecting(negotiation, "ContractAgreementVerificationMessage"),
            ),
            (
                "POST",
                "/negotiations/{pid}/termination",
                expecting(negotiation, "ContractNegotiationTerminationMessage"),
            ),
            ("POST", "/transfers/request", self._transfer_request),
            ("GET", "/transfers/{pid}", getter(transfer)),
            ("POST", "/transfers/{pid}/start", expecting(transfer, "TransferStartMessage")),
            ("POST", "/transfers/{pid}/completion", expecting(transfer, "TransferCompletionMessage")),
            ("POST", "/transfers/{pid}/suspension", expecting(transfer, "TransferSuspensionMessage")),
            ("POST", "/transfers/{pid}/termination", expecting(transfer, "TransferTerminationMessage")),
        )
        for method, path, handler in routes:
            self._router.add(method, prefix + path, bind(handler))

    def _authenticate(self, request: Request) -> _Claims:
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

    def _decode(self, request: Request, dialect: str) -> WireModel:
        try:
            return wire.decode(request.get_data(), dialect=dialect)
        except JsonLdError as exc:
            raise DecodeError(f"the message cannot be read: {exc}") from exc

    # -- version and catalog -------------------------------------------------------------------------------

    def _versions(self, request: Request, params: Mapping[str, str]) -> Response:
        return _encoded(version_response(), "dsp-2025-1", 200)

    def _catalog_error(self, dialect: str, status: int, reason: str) -> Response:
        return _encoded(CatalogError(code=str(status), reason=(reason,)), dialect, status)

    def _service(self, dialect: str) -> DataService:
        base = self.engine.dsp_base(dialect)
        return DataService(id=f"{base}#dsp", endpoint_url=base)

    def _catalog(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        try:
            _, claims = self._authenticate(request)
        except VerificationError as exc:
            return self._catalog_error(dialect, 401, f"the request is not authorised: {exc}")
        try:
            message = self._decode(request, dialect)
        except DecodeError as exc:
            return self._catalog_error(dialect, 400, str(exc))
        if not isinstance(message, CatalogRequestMessage):
            return self._catalog_error(
                dialect, 400, f"expected a CatalogRequestMessage, got {type(message).__name__}"
            )
        base = self.engine.dsp_base(dialect)
        service = self._service(dialect)
        try:
            catalog, links = catalog_page(
                self._registry.all(),
                claims,
                filters=message.filter,
                args=request.args,
                page_size=self.page_size,
                service=service,
                assigner=self.participant.did,
                base=base,
            )
        except DecodeError as exc:
            return self._catalog_error(dialect, 400, str(exc))
        response = _encoded(catalog, dialect, 200)
        if links is not None:
            response.headers["Link"] = links
        return response

    def _dataset(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        try:
            _, claims = self._authenticate(request)
        except VerificationError as exc:
            return self._catalog_error(dialect, 401, f"the request is not authorised: {exc}")
        dataset = self._registry.get(params["id"])
        offers = visible_offers(dataset, claims) if dataset is not None else ()
        if dataset is None or not offers:
            return self._catalog_error(dialect, 404, f"no dataset {params['id']!r} is available to you")
        view = dataset_view(dataset, offers, service=self._service(dialect), assigner=self.participant.did)
        return _encoded(view, dialect, 200)

    # -- negotiation ---------------------------------------------------------------------------------------

    def _process_error(
        self,
        kind: _ProcessKind,
        request: Request,
        params: Mapping[str, str],
        dialect: str,
        status: int,
        code: str,
        reason: str,
    ) -> Response:
        provider_pid, consumer_pid = _pids(request, params)
        error = kind.error(provider_pid=provider_pid, consumer_pid=consumer_pid, code=code, reason=(reason,))
        return _encoded(error, dialect, status)

    def _negotiation_error(
        self, request: Request, params: Mapping[str, str], dialect: str, status: int, code: str, reason: str
    ) -> Response:
        return self._process_error(self._negotiations, request, params, dialect, status, code, reason)

    def _outcome(self, outcome: nsm.Outcome[Any], dialect: str) -> Response:
        if outcome.body is None:
            return Response(b"", status=outcome.status)
        return _encoded(outcome.body, dialect, outcome.status)

    def _negotiation_request(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        try:
            holder, claims = self._authenticate(request)
        except VerificationError as exc:
            return self._negotiation_error(request, params, dialect, 401, "UNAUTHORIZED", str(exc))
        try:
            message = self._decode(request, dialect)
        except DecodeError as exc:
            return self._negotiation_error(request, params, dialect, 400, "INVALID_MESSAGE", str(exc))
        if not isinstance(message, ContractRequestMessage) or message.provider_pid is not None:
            reason = "POST /negotiations/request takes an initial ContractRequestMessage (no providerPid)"
            return self._negotiation_error(request, params, dialect, 400, "UNEXPECTED_MESSAGE", reason)
        if self._registry.find_offer(message.offer.id or "", message.offer.target) is None:
            reason = (
                f"offer {message.offer.id} of dataset {message.offer.target} is not offered by this provider"
            )
            return self._negotiation_error(request, params, dialect, 400, "UNKNOWN_OFFER", reason)
        with self._state_lock:
            record = self.store.find_negotiation(message.consumer_pid, counterparty=holder)
            outcome = nsm.on_message(record, message, participant_id=holder, dialect=dialect)
            self._save_negotiation(record, outcome)
        self.engine.negotiation_effects(outcome.effects, claims)
        return self._outcome(outcome, dialect)

    def _save_negotiation(self, before: Any, outcome: nsm.Outcome[nsm.NegotiationRecord]) -> None:
        _save_if_changed(before, outcome, self.store.save_negotiation)

    def _process_get(
        self, kind: _ProcessKind, request: Request, params: Mapping[str, str], dialect: str
    ) -> Response:
        pid = params["pid"]
        try:
            holder, _ = self._authenticate(request)
        except VerificationError:
            holder = None
        record = kind.get(pid)
        if holder is None or record is None or (record.counterparty and record.counterparty != holder):
            reason = f"no {kind.noun} {pid} is known to this provider"
            return self._process_error(kind, request, params, dialect, 404, "NOT_FOUND", reason)
        return _encoded(record.ack(), dialect, 200)

    def _process_message(
        self, kind: _ProcessKind, request: Request, params: Mapping[str, str], dialect: str, expected: str
    ) -> Response:
        pid = params["pid"]
        try:
            holder, claims = self._authenticate(request)
        except VerificationError:
            reason = f"no {kind.noun} {pid} is known to this provider"
            return self._process_error(kind, request, params, dialect, 404, "NOT_FOUND", reason)
        try:
            message = self._decode(request, dialect)
        except DecodeError as exc:
            return self._process_error(kind, request, params, dialect, 400, "INVALID_MESSAGE", str(exc))
        if type(message).__name__ != expected:
            reason = f"this endpoint takes a {expected}, got {type(message).__name__}"
            return self._process_error(kind, request, params, dialect, 400, "UNEXPECTED_MESSAGE", reason)
        with self._state_lock:
            record = kind.get(pid)
            try:
                outcome = kind.on_message(record, message, participant_id=holder, dialect=dialect)
                _save_if_changed(record, outcome, kind.save)
            except ConflictError as exc:
                return self._process_error(kind, request, params, dialect, 409, "CONFLICT", str(exc))
        kind.effects(outcome.effects, claims)
        return self._outcome(outcome, dialect)

    # -- transfer ------------------------------------------------------------------------------------------

    def _transfer_error(
        self, request: Request, params: Mapping[str, str], dialect: str, status: int, code: str, reason: str
    ) -> Response:
        return self._process_error(self._transfers, request, params, dialect, status, code, reason)

    def _save_transfer(self, before: Any, outcome: nsm.Outcome[tsm.TransferRecord]) -> None:
        _save_if_changed(before, outcome, self.store.save_transfer)

    def _transfer_request(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        try:
            holder, _ = self._authenticate(request)
        except VerificationError as exc:
            return self._transfer_error(request, params, dialect, 401, "UNAUTHORIZED", str(exc))
        try:
            message = self._decode(request, dialect)
        except DecodeError as exc:
            return self._transfer_error(request, params, dialect, 400, "INVALID_MESSAGE", str(exc))
        if not isinstance(message, TransferRequestMessage):
            reason = f"POST /transfers/request takes a TransferRequestMessage, got {type(message).__name__}"
            return self._transfer_error(request, params, dialect, 400, "UNEXPECTED_MESSAGE", reason)
        if message.format not in (PULL_FORMAT, PUSH_FORMAT):
            reason = f"format {message.format!r} is not offered; use {PULL_FORMAT} or {PUSH_FORMAT}"
            return self._transfer_error(request, params, dialect, 400, "UNSUPPORTED_FORMAT", reason)
        with self._state_lock:
            record = self.store.find_transfer(message.consumer_pid, counterparty=holder)
            outcome = tsm.on_message(record, message, participant_id=holder, dialect=dialect)
            self._save_transfer(record, outcome)
        self.engine.transfer_effects(outcome.effects)
        return self._outcome(outcome, dialect)
