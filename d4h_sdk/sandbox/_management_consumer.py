"""The consumer side of the sandbox's EDC Management API facade: EDC shapes over a :class:`Connector`.

Every DSP interaction goes through the connector (the sandbox gives each consumer its own
:class:`~d4h_sdk.connectors.DspConnector`); this module only keeps what EDC reports and DSP does not know:
the counter-party and protocol of each process, creation times, and the agreement -> negotiation link.
EDC ids are the connector's ids. States are DSP's names, which are EDC's consumer-side names too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Connector, NegotiationStatus, Provider, TransferStatus
from d4h_sdk.errors import BadRequestError, ConflictError
from d4h_sdk.models import Catalog, Dataset
from d4h_sdk.models._base import canonical_dict
from d4h_sdk.models.management import (
    CatalogRequest,
    ContractRequest,
    DatasetRequest,
    EdcContractAgreement,
    EdcContractNegotiation,
    EdcTransferProcess,
    EdrEntry,
    IdResponse,
    TransferRequest,
)
from d4h_sdk.models.transfer import DataAddress
from d4h_sdk.sandbox._http_server import Request, Response, json_response
from d4h_sdk.sandbox._management_common import (
    EdcApiError,
    Query,
    encode,
    now_ms,
    protocol_of,
    read_body,
    read_model,
    state_body,
)
from d4h_sdk.sandbox._management_events import EventNotifier, Watch
from d4h_sdk.sandbox._management_routes import Route
from d4h_sdk.wire._terms import EDC

__all__ = ["ConsumerManagement"]

_HTTP_ENDPOINT = "https://w3id.org/idsa/v4.1/HTTP"
_BOTH = ("v3", "v4")
_MAX_CATALOG_PAGES = 1000


@dataclass
class _Process:
    """What the facade remembers about a negotiation or transfer the connector runs."""

    id: str
    provider: Provider
    protocol: str
    created_at: int
    asset_id: str | None = None
    agreement_id: str | None = None
    transfer_type: str | None = None
    edr_deleted: bool = False


def _reasons(code: str | None, reason: tuple[str, ...]) -> str | None:
    text = "; ".join(reason)
    if code and text:
        return f"{code}: {text}"
    return code or text or None


class ConsumerManagement:
    """One consumer participant's Management API (v3 and v4) over a connector created on first use.

    Args:
        participant_id: The consumer's DID (EDC's ``consumerId`` of its agreements).
        connector_factory: Builds the connector (called once, lazily; the facade closes it).
        http: The client EDC events are POSTed to ``callbackAddresses`` with (not closed).
    """

    def __init__(
        self, participant_id: str, connector_factory: Callable[[], Connector], http: HttpClient
    ) -> None:
        self.participant_id = participant_id
        self._factory = connector_factory
        self._events = EventNotifier(lambda: self.connector, http)
        self._connector: Connector | None = None
        self._lock = threading.RLock()
        self._negotiations: dict[str, _Process] = {}
        self._transfers: dict[str, _Process] = {}
        self._agreements: dict[str, str] = {}  # agreement id -> negotiation id
        self._closed = False

    @property
    def connector(self) -> Connector:
        """The connector every DSP interaction goes through (created on first access)."""
        with self._lock:
            if self._connector is None:
                if self._closed:
                    raise EdcApiError(503, "the management API is shut down", "ServiceUnavailable")
                self._connector = self._factory()
            return self._connector

    def close(self) -> None:
        """Close the connector if it was created (idempotent)."""
        self._events.close()
        with self._lock:
            self._closed = True
            connector, self._connector = self._connector, None
        if connector is not None:
            connector.close()

    def routes(self) -> list[Route]:
        """The consumer routes: catalog, negotiations, agreements, transfers (v3 and v4), EDRs (v3)."""
        n, t = "/contractnegotiations", "/transferprocesses"
        return [
            ("POST", "/catalog/request", self._catalog, _BOTH),
            ("POST", "/catalog/dataset/request", self._dataset, _BOTH),
            ("POST", n, self._start_negotiation, _BOTH),
            ("POST", f"{n}/request", self._query_negotiations, _BOTH),
            ("GET", f"{n}/{{id}}", self._get_negotiation, _BOTH),
            ("GET", f"{n}/{{id}}/state", self._negotiation_state, _BOTH),
            ("GET", f"{n}/{{id}}/agreement", self._negotiation_agreement, _BOTH),
            ("POST", f"{n}/{{id}}/terminate", self._terminate_negotiation, _BOTH),
            ("POST", "/contractagreements/request", self._query_agreements, _BOTH),
            ("GET", "/contractagreements/{id}", self._get_agreement, _BOTH),
            ("GET", "/contractagreements/{id}/negotiation", self._agreement_negotiation, _BOTH),
            ("POST", t, self._start_transfer, _BOTH),
            ("POST", f"{t}/request", self._query_transfers, _BOTH),
            ("GET", f"{t}/{{id}}", self._get_transfer, _BOTH),
            ("GET", f"{t}/{{id}}/state", self._transfer_state, _BOTH),
            ("POST", f"{t}/{{id}}/suspend", self._suspend, _BOTH),
            ("POST", f"{t}/{{id}}/resume", self._resume, _BOTH),
            ("POST", f"{t}/{{id}}/complete", self._complete, _BOTH),
            ("POST", f"{t}/{{id}}/terminate", self._terminate_transfer, _BOTH),
            ("POST", "/edrs/request", self._query_edrs, ("v3",)),
            ("GET", "/edrs/{id}/dataaddress", self._data_address, ("v3",)),
            ("POST", "/edrs/{id}/refresh", self._refresh, ("v3",)),
            ("DELETE", "/edrs/{id}", self._delete_edr, ("v3",)),
        ]

    # -- helpers -------------------------------------------------------------------------------------------

    def _provider(self, address: str, participant_id: str | None, protocol: str) -> Provider:
        if not address.startswith(("http://", "https://")):
            raise EdcApiError(
                400,
                f"counterPartyAddress must be an http(s) URL, got {address!r}",
                "ValidationFailure",
                "counterPartyAddress",
            )
        return Provider(address, participant_id=participant_id, protocol=protocol_of(protocol))

    def _negotiation(self, ident: str) -> _Process:
        with self._lock:
            found = self._negotiations.get(ident)
        if found is None:
            raise EdcApiError.not_found("ContractNegotiation", ident)
        return found

    def _transfer(self, ident: str) -> _Process:
        with self._lock:
            found = self._transfers.get(ident)
        if found is None:
            raise EdcApiError.not_found("TransferProcess", ident)
        return found

    def _negotiation_status(self, record: _Process) -> NegotiationStatus:
        status = self.connector.get_negotiation(record.id)
        if status.agreement_id:
            with self._lock:
                record.agreement_id = status.agreement_id
                self._agreements[status.agreement_id] = record.id
        return status

    def _edc_negotiation(self, record: _Process) -> EdcContractNegotiation:
        status = self._negotiation_status(record)
        return EdcContractNegotiation(
            id=record.id,
            role="CONSUMER",
            state=status.state.value,
            protocol=record.protocol,
            counter_party_id=record.provider.participant_id,
            counter_party_address=record.provider.address,
            contract_agreement_id=status.agreement_id,
            error_detail=_reasons(status.code, status.reason) if status.state.value == "TERMINATED" else None,
            created_at=record.created_at,
        )

    def _edc_transfer(self, record: _Process) -> tuple[EdcTransferProcess, TransferStatus]:
        status = self.connector.get_transfer(record.id)
        model = EdcTransferProcess(
            id=record.id,
            role="CONSUMER",
            state=status.state.value,
            state_timestamp=now_ms(),
            contract_id=status.agreement_id or record.agreement_id,
            asset_id=record.asset_id,
            transfer_type=status.transfer_type or record.transfer_type,
            error_detail=_reasons(status.code, status.reason) if status.state.value == "TERMINATED" else None,
            counterPartyAddress=record.provider.address,
            counterPartyId=record.provider.participant_id,
            protocol=record.protocol,
            createdAt=record.created_at,
        )
        return model, status

    def _edc_agreement(self, agreement_id: str) -> EdcContractAgreement:
        with self._lock:
            negotiation_id = self._agreements.get(agreement_id)
        if negotiation_id is None:
            raise EdcApiError.not_found("ContractAgreement", agreement_id)
        agreement = self.connector.get_agreement(agreement_id)
        return EdcContractAgreement(
            id=agreement_id,
            asset_id=agreement.target,
            consumer_id=agreement.assignee or self.participant_id,
            provider_id=agreement.assigner or self._negotiation(negotiation_id).provider.participant_id,
            contract_signing_date=self._negotiation(negotiation_id).created_at // 1000,
            policy=agreement,
        )

    @staticmethod
    def _created(ident: str, dialect: str) -> Response:
        return json_response(encode(IdResponse(id=ident, created_at=now_ms()), dialect))

    @staticmethod
    def _list(models: list[Any], dialect: str) -> Response:
        return json_response([encode(model, dialect) for model in models])

    @staticmethod
    def _reason(request: Request) -> str | None:
        reason = read_body(request, optional=True).get("reason")
        return str(reason) if reason else None

    # -- catalog -------------------------------------------------------------------------------------------

    def _catalog(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        body = read_body(request)
        message = read_model(CatalogRequest, body)
        provider = self._provider(message.counter_party_address, message.counter_party_id, message.protocol)
        spec = body.get("querySpec")
        query = Query.parse(spec if isinstance(spec, Mapping) else {})
        wanted = query.offset + query.limit
        datasets: list[Dataset] = []
        first: Catalog | None = None
        cursor: str | None = None
        for _ in range(_MAX_CATALOG_PAGES):
            page = self.connector.request_catalog(provider, cursor=cursor)
            first = first or page.catalog
            datasets.extend(page.catalog.datasets)
            cursor = page.next_cursor
            if cursor is None or len(datasets) >= wanted:
                break
        assert first is not None
        if query.criteria:
            datasets = [d for d in datasets if query.matches(d.model_dump(mode="json", by_alias=True))]
        catalog = Catalog.of(
            datasets[query.offset : wanted],
            id=first.id,
            participant_id=first.participant_id,
            services=list(first.services),
        )
        # EDC v3 compacts with @vocab = its namespace; v4 answers DSP 2025-1 documents.
        return json_response(encode(catalog, "edc-v3" if dialect == "edc-v3" else "dsp-2025-1"))

    def _dataset(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        message = read_model(DatasetRequest, read_body(request))
        provider = self._provider(message.counter_party_address, message.counter_party_id, message.protocol)
        dataset = self.connector.get_dataset(provider, message.id)
        return json_response(encode(dataset, "edc-v3" if dialect == "edc-v3" else "dsp-2025-1"))

    # -- negotiations --------------------------------------------------------------------------------------

    def _start_negotiation(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        message = read_model(ContractRequest, read_body(request))
        offer = message.policy
        if not offer.target:
            raise EdcApiError(
                400, "policy.target (the asset id) is required", "ValidationFailure", "policy.target"
            )
        participant = message.counter_party_id or offer.assigner
        if not offer.assigner:
            if participant is None:
                raise EdcApiError(
                    400,
                    "policy.assigner (the provider id) is required",
                    "ValidationFailure",
                    "policy.assigner",
                )
            offer = offer.model_copy(update={"assigner": participant})
        provider = self._provider(message.counter_party_address, participant, message.protocol)
        ident = self.connector.start_negotiation(provider, offer)
        with self._lock:
            self._negotiations[ident] = _Process(
                ident, provider, message.protocol, now_ms(), asset_id=offer.target
            )
        if message.callback_addresses:
            payload = {
                "contractNegotiationId": ident,
                "counterPartyAddress": provider.address,
                "counterPartyId": provider.participant_id,
                "protocol": message.protocol,
                "type": "CONSUMER",
                "callbackAddresses": [canonical_dict(c) for c in message.callback_addresses],
            }
            self._events.watch(Watch("negotiation", ident, tuple(message.callback_addresses), payload))
        return self._created(ident, dialect)

    def _query_negotiations(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        query = Query.parse(read_body(request, optional=True))
        with self._lock:
            records = list(self._negotiations.values())
        models = {m.id: m for m in (self._edc_negotiation(r) for r in records)}
        rows = [m.model_dump(mode="json", by_alias=True) for m in models.values()]
        return self._list([models[row["@id"]] for row in query.apply(rows)], dialect)

    def _get_negotiation(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        return json_response(encode(self._edc_negotiation(self._negotiation(params["id"])), dialect))

    def _negotiation_state(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        status = self._negotiation_status(self._negotiation(params["id"]))
        return json_response(state_body("NegotiationState", status.state.value, dialect))

    def _negotiation_agreement(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._negotiation(params["id"])
        status = self._negotiation_status(record)
        if status.agreement_id is None:
            raise EdcApiError.not_found("ContractAgreement", f"<agreement of negotiation {record.id}>")
        return json_response(encode(self._edc_agreement(status.agreement_id), dialect))

    def _terminate_negotiation(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._negotiation(params["id"])
        state = self._negotiation_status(record).state
        if state.is_final:
            raise EdcApiError(
                409, f"negotiation {record.id} is {state.value} and cannot be terminated", "ObjectConflict"
            )
        _move(lambda: self.connector.terminate_negotiation(record.id, reason=self._reason(request)))
        return Response(b"", status=204)

    # -- agreements ----------------------------------------------------------------------------------------

    def _query_agreements(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        query = Query.parse(read_body(request, optional=True))
        with self._lock:
            records = list(self._negotiations.values())
        for record in records:
            self._negotiation_status(record)
        with self._lock:
            ids = list(self._agreements)
        models = {a.id: a for a in (self._edc_agreement(i) for i in ids)}
        rows = [m.model_dump(mode="json", by_alias=True) for m in models.values()]
        return self._list([models[row["@id"]] for row in query.apply(rows)], dialect)

    def _get_agreement(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        return json_response(encode(self._edc_agreement(params["id"]), dialect))

    def _agreement_negotiation(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        with self._lock:
            negotiation_id = self._agreements.get(params["id"])
        if negotiation_id is None:
            raise EdcApiError.not_found("ContractAgreement", params["id"])
        return json_response(encode(self._edc_negotiation(self._negotiation(negotiation_id)), dialect))

    # -- transfers -----------------------------------------------------------------------------------------

    def _start_transfer(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        message = read_model(TransferRequest, read_body(request))
        with self._lock:
            negotiation_id = self._agreements.get(message.contract_id)
        if negotiation_id is None:
            raise EdcApiError(
                400,
                f"contract agreement {message.contract_id!r} is unknown to this connector; negotiate first",
                "InvalidRequest",
                "contractId",
            )
        negotiation = self._negotiation(negotiation_id)
        participant = message.counter_party_id or negotiation.provider.participant_id
        provider = self._provider(message.counter_party_address, participant, message.protocol)
        destination = _push_destination(message) if message.transfer_type.endswith("-PUSH") else None
        ident = self.connector.start_transfer(
            provider, message.contract_id, transfer_type=message.transfer_type, data_destination=destination
        )
        with self._lock:
            self._transfers[ident] = _Process(
                ident,
                provider,
                message.protocol,
                now_ms(),
                asset_id=negotiation.asset_id,
                agreement_id=message.contract_id,
                transfer_type=message.transfer_type,
            )
        if message.callback_addresses:
            payload = {
                "transferProcessId": ident,
                "contractId": message.contract_id,
                "assetId": negotiation.asset_id,
                "type": "CONSUMER",
                "transferType": message.transfer_type,
                "callbackAddresses": [canonical_dict(c) for c in message.callback_addresses],
            }
            self._events.watch(Watch("transfer", ident, tuple(message.callback_addresses), payload))
        return self._created(ident, dialect)

    def _query_transfers(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        query = Query.parse(read_body(request, optional=True))
        with self._lock:
            records = list(self._transfers.values())
        models = {m.id: m for m in (self._edc_transfer(r)[0] for r in records)}
        rows = [m.model_dump(mode="json", by_alias=True) for m in models.values()]
        return self._list([models[row["@id"]] for row in query.apply(rows)], dialect)

    def _get_transfer(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        return json_response(encode(self._edc_transfer(self._transfer(params["id"]))[0], dialect))

    def _transfer_state(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        status = self.connector.get_transfer(self._transfer(params["id"]).id)
        return json_response(state_body("TransferState", status.state.value, dialect))

    def _suspend(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._transfer(params["id"])
        _move(lambda: self.connector.suspend_transfer(record.id, reason=self._reason(request)))
        return Response(b"", status=204)

    def _resume(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._transfer(params["id"])
        _move(lambda: self.connector.resume_transfer(record.id))
        return Response(b"", status=204)

    def _complete(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._transfer(params["id"])
        _move(lambda: self.connector.complete_transfer(record.id))
        return Response(b"", status=204)

    def _terminate_transfer(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._transfer(params["id"])
        _move(lambda: self.connector.terminate_transfer(record.id, reason=self._reason(request)))
        return Response(b"", status=204)

    # -- EDRs (v3) -----------------------------------------------------------------------------------------

    def _query_edrs(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        query = Query.parse(read_body(request, optional=True))
        with self._lock:
            records = [r for r in self._transfers.values() if not r.edr_deleted]
        entries: dict[str, EdrEntry] = {}
        for record in records:
            status = self.connector.get_transfer(record.id)
            if status.state.value != "STARTED" or not (record.transfer_type or "").endswith("-PULL"):
                continue
            with self._lock:
                negotiation_id = self._agreements.get(record.agreement_id or "")
            entries[record.id] = EdrEntry(
                id=record.id,
                transfer_process_id=record.id,
                agreement_id=record.agreement_id,
                asset_id=record.asset_id,
                provider_id=record.provider.participant_id,
                contract_negotiation_id=negotiation_id,
                created_at=record.created_at,
            )
        rows = [e.model_dump(mode="json", by_alias=True) for e in entries.values()]
        return self._list([entries[row["transferProcessId"]] for row in query.apply(rows)], dialect)

    def _edr_body(self, ident: str, *, refresh: bool, dialect: str) -> Response:
        record = self._transfer(ident)
        if record.edr_deleted:
            raise EdcApiError.not_found("EndpointDataReferenceEntry", ident)
        edr = self.connector.get_edr(record.id, refresh=refresh)
        context: Any = {"@vocab": EDC}
        body: dict[str, Any] = {
            "@context": context,
            "@type": "DataAddress",
            "type": edr.endpoint_type or _HTTP_ENDPOINT,
            "endpointType": edr.endpoint_type or _HTTP_ENDPOINT,
            "endpoint": edr.endpoint,
            "authType": edr.auth_type or "bearer",
            "authorization": edr.authorization,
            "transferProcessId": record.id,
            "agreementId": record.agreement_id,
        }
        if edr.expires_at is not None:
            body["expiresAt"] = edr.expires_at
        return json_response({k: v for k, v in body.items() if v is not None})

    def _data_address(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        refresh = request.args.get("auto_refresh", "false").lower() == "true"
        return self._edr_body(params["id"], refresh=refresh, dialect=dialect)

    def _refresh(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        return self._edr_body(params["id"], refresh=True, dialect=dialect)

    def _delete_edr(self, request: Request, params: Mapping[str, str], dialect: str) -> Response:
        record = self._transfer(params["id"])
        with self._lock:
            record.edr_deleted = True
        return Response(b"", status=204)


def _move(send: Callable[[], None]) -> None:
    """Send a state move; the provider refusing it (400 invalid transition, 409) is EDC's 409 conflict."""
    try:
        send()
    except (BadRequestError, ConflictError) as exc:
        raise EdcApiError(409, f"the provider refused the state change: {exc}", "ObjectConflict") from exc


def _push_destination(message: TransferRequest) -> DataAddress:
    destination = message.data_destination or {}
    endpoint = destination.get("baseUrl") or destination.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise EdcApiError(
            400,
            "a push transfer needs dataDestination with type HttpData and baseUrl",
            "ValidationFailure",
            "dataDestination",
        )
    return DataAddress(endpoint_type=_HTTP_ENDPOINT, endpoint=endpoint)
