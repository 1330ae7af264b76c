"""The DSP endpoints of the sandbox provider connector: catalog, negotiation and transfer request handlers.

:class:`DspRoutes` adds to a :class:`~d4h_sdk.sandbox._http_server.Router`
``GET /.well-known/dspace-version`` and, under ``/2025-1`` and ``/2024-1``, the catalog
(``POST /catalog/request``, ``GET /catalog/datasets/{id}``) and the provider side of negotiation
(``/negotiations/...``) and transfer (``/transfers/...``). Each handler authenticates the requester, decodes
the body in the dialect of the path, decides through the pure state machines under the connector's state
lock, saves the record, answers, and hands the effects to the
:class:`~d4h_sdk.sandbox._provider_flows.ProviderEngine`. An authentication failure is 401 on the catalog
and on requests that create a process, 404 on an existing negotiation or transfer (the spec's
"unauthorised -> 404").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from d4h_sdk import wire
from d4h_sdk.errors import ConflictError, DecodeError, JsonLdError, VerificationError
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.catalog import CatalogError, CatalogRequestMessage, DataService
from d4h_sdk.models.negotiation import ContractNegotiationError, ContractRequestMessage
from d4h_sdk.models.transfer import TransferError, TransferRequestMessage
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._http_server import Request, Response, Router, json_response
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._provider_catalog import (
    DSP_VERSIONS,
    PULL_FORMAT,
    PUSH_FORMAT,
    catalog_page,
    dataset_view,
    version_response,
    visible_offers,
)
from d4h_sdk.sandbox._provider_flows import DatasetRegistry, ProviderEngine
from d4h_sdk.sandbox._store import ProviderStore

__all__ = ["VERSION_PATH", "Claims", "DspRoutes"]

VERSION_PATH = "/.well-known/dspace-version"
"""The unauthenticated version metadata endpoint."""

Claims = tuple[str, dict[str, Any]]
"""An authenticated requester: its participant id and its flattened policy claims."""

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


class DspRoutes:
    """The DSP request handlers of one provider connector.

    Args:
        participant: The provider (its DID is the catalog's ``assigner``).
        store: Where negotiations, transfers and agreements are kept.
        registry: The published datasets.
        engine: Runs the provider's reactions to accepted messages.
        state_lock: The lock every load-decide-save of a process takes.
        authenticate: Verifies a request's requester (raises VerificationError).
        page_size: Returns the largest number of datasets per catalog page.
    """

    def __init__(
        self,
        *,
        participant: Participant,
        store: ProviderStore,
        registry: DatasetRegistry,
        engine: ProviderEngine,
        state_lock: threading.RLock,
        authenticate: Callable[[Request], Claims],
        page_size: Callable[[], int],
    ) -> None:
        self._participant = participant
        self._store = store
        self._registry = registry
        self._engine = engine
        self._state_lock = state_lock
        self._authenticate = authenticate
        self._page_size = page_size
        self._negotiations = _ProcessKind(
            noun="contract negotiation",
            error=ContractNegotiationError,
            get=store.get_negotiation,
            save=store.save_negotiation,
            on_message=nsm.on_message,
            effects=engine.negotiation_effects,
        )
        self._transfers = _ProcessKind(
            noun="transfer process",
            error=TransferError,
            get=store.get_transfer,
            save=store.save_transfer,
            on_message=tsm.on_message,
            effects=lambda effects, _claims: engine.transfer_effects(effects),
        )

    def install(self, router: Router) -> None:
        """Add the version endpoint and the DSP endpoints of every served version to ``router``."""
        router.add("GET", VERSION_PATH, self._versions)
        for version, dialect in DSP_VERSIONS.items():
            self._add_routes(router, f"/{version}", dialect)

    def _add_routes(self, router: Router, prefix: str, dialect: str) -> None:
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
            router.add(method, prefix + path, bind(handler))

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
        base = self._engine.dsp_base(dialect)
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
        base = self._engine.dsp_base(dialect)
        service = self._service(dialect)
        try:
            catalog, links = catalog_page(
                self._registry.all(),
                claims,
                filters=message.filter,
                args=request.args,
                page_size=self._page_size(),
                service=service,
                assigner=self._participant.did,
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
        view = dataset_view(dataset, offers, service=self._service(dialect), assigner=self._participant.did)
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
            record = self._store.find_negotiation(message.consumer_pid, counterparty=holder)
            outcome = nsm.on_message(record, message, participant_id=holder, dialect=dialect)
            self._save_negotiation(record, outcome)
        self._engine.negotiation_effects(outcome.effects, claims)
        return self._outcome(outcome, dialect)

    def _save_negotiation(self, before: Any, outcome: nsm.Outcome[nsm.NegotiationRecord]) -> None:
        _save_if_changed(before, outcome, self._store.save_negotiation)

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
        _save_if_changed(before, outcome, self._store.save_transfer)

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
            record = self._store.find_transfer(message.consumer_pid, counterparty=holder)
            outcome = tsm.on_message(record, message, participant_id=holder, dialect=dialect)
            self._save_transfer(record, outcome)
        self._engine.transfer_effects(outcome.effects)
        return self._outcome(outcome, dialect)
