"""``DspConnector``: the SDK speaking the Dataspace Protocol (2025-1, 2024-1) straight to a provider.

The connector is the consumer side of DSP: it discovers the provider's version
(:mod:`~d4h_sdk.connectors._dsp_versions`), sends catalog, negotiation and transfer messages authenticated
with DCP self-issued tokens, and runs an embedded callback receiver
(:mod:`~d4h_sdk.connectors._dsp_receiver`) that applies the provider's callbacks through a pure consumer
state machine (:mod:`~d4h_sdk.connectors._dsp_consumer_sm`). Agreements are verified automatically in a
worker thread; a counter-offer equal to the requested offer is accepted automatically, any other one waits
for :meth:`DspConnector.accept_offer`.

```python
with DspConnector(participant_id=lab_did, token_source=sts, scopes=DS4H_SCOPES) as dsp:
    provider = Provider("https://hospital.example/api/dsp", participant_id=hospital_did)
    page = dsp.request_catalog(provider)
    negotiation_id = dsp.start_negotiation(provider, offer)   # offer with target and assigner
    while not dsp.get_negotiation(negotiation_id).state.is_final:
        dsp.wait_for_change(negotiation_id, 5)
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

from d4h_sdk import wire
from d4h_sdk.connectors import _dsp_consumer_sm as sm
from d4h_sdk.connectors._dsp_core import DspCore, new_pid, pid_path
from d4h_sdk.connectors._dsp_records import Process, export_process, restore_process
from d4h_sdk.connectors._types import CatalogPage, NegotiationStatus, Provider, TransferStatus
from d4h_sdk.errors import (
    ConfigurationError,
    D4HError,
    TransferError,
    TransferTerminatedError,
    UnsupportedOperationError,
)
from d4h_sdk.models import (
    Catalog,
    CatalogRequestMessage,
    ContractNegotiation,
    ContractNegotiationTerminationMessage,
    ContractRequestMessage,
    Dataset,
    EndpointDataReference,
    Offer,
    TransferCompletionMessage,
    TransferProcess,
    TransferRequestMessage,
    TransferStartMessage,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import DataAddress, TransferState

__all__ = ["DspConnector"]

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _named_property(address: DataAddress, name: str) -> Any:
    """An endpoint property by its DSP name, or by an IRI or prefixed name ending in it (EDC's)."""
    found = address.property(name)
    if found is not None:
        return found
    for item in address.endpoint_properties:
        if item.name.endswith(("/" + name, ":" + name, "#" + name)):
            return item.value
    return None


class DspConnector(DspCore):
    """A DSP 2025-1 / 2024-1 consumer with an embedded callback receiver.

    Satisfies :class:`~d4h_sdk.connectors.Connector` and :class:`~d4h_sdk.connectors.ChangeNotifier`.
    Ids are the consumer process ids (``urn:uuid:...``) the connector generates. Methods taking a local id
    raise :class:`~d4h_sdk.errors.ConfigurationError` naming the id when this connector does not know it
    (start it here or :meth:`restore_process` it first); HTTP errors of the provider keep their own classes
    (e.g. :class:`~d4h_sdk.errors.NotFoundError`). Thread-safe.

    Args:
        participant_id: The consumer's DID / participant id.
        token_source: Mints the DCP self-issued token sent to each provider (audience = the provider's
            ``participant_id``); ``None`` sends no ``Authorization`` header.
        scopes: DCP scopes asked for in each token.
        callback_host: Bind address of the callback receiver.
        callback_port: Bind port of the callback receiver (0: a free port).
        public_callback_url: The callback URL told to providers (NAT, ingress); default the bound URL.
        http: The HTTP client to use (not closed by :meth:`close`); default an own one.
        versions: DSP versions in order of preference (``2025-1``, ``2024-1``; ``2024/1`` accepted).
        callback_verifier: Checks a callback's ``Authorization`` header; raise
            :class:`~d4h_sdk.errors.VerificationError` to refuse it (401).
        reconcile_after: Seconds without a callback after which reading a process asks the provider.
        strict: Refuse (400) a provider's FINALIZED event until this consumer has verified the agreement,
            as the DSP state machine (and its TCK) requires (the default). ``False`` accepts it from
            REQUESTED, ACCEPTED or AGREED too, which tolerates callbacks lost on the way by a lax provider.
        token_scheme: The scheme before the token in ``Authorization`` (default ``Bearer``); ``None`` sends
            the token as is, as EDC's mock identity service (``iam-mock``) expects: EDC answers 500 to
            ``Bearer <mock token>``.
        raw_edr_token: Present EDR tokens as they are (``Authorization: <token>``) whatever the data
            address's ``authType`` says, as EDC's data plane public API wants (it refuses ``Bearer <token>``
            with 403 although its EDRs say ``authType: bearer``). Also settable as an attribute.

    Raises:
        ConfigurationError: An invalid option, or the callback address cannot be bound.
    """

    def __enter__(self) -> DspConnector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- catalog -------------------------------------------------------------------------------------------

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        """Request one catalog page (``POST <base>/catalog/request``).

        Args:
            provider: The provider.
            cursor: The ``next_cursor`` of the previous page (the ``Link: rel="next"`` URL).
            page_size: Datasets per page, sent as ``?limit=`` on the first page (providers that do not
                support it ignore it).

        Raises:
            ConfigurationError: ``cursor`` points to another origin than the provider, or a bad page size.
        """
        endpoint = self.endpoint(provider)
        if page_size is not None and page_size <= 0:
            raise ConfigurationError(f"page_size must be positive, got {page_size}")
        url = endpoint.base + "/catalog/request"
        params = {"limit": str(page_size)} if page_size and cursor is None else None
        if cursor is not None:
            if _origin(cursor) != _origin(endpoint.base):
                raise ConfigurationError("the catalog cursor points to another origin than the provider")
            url = cursor
        response = self._http.post(
            url,
            json=wire.encode(CatalogRequestMessage(), dialect=endpoint.dialect),
            params=params,
            auth=self._auth(provider),
        )
        catalog = self._decode(response, endpoint.dialect, Catalog)
        match = _LINK_NEXT.search(response.headers.get("Link", ""))
        next_cursor = urljoin(response.url, match.group(1)) if match else None
        return CatalogPage(catalog=catalog, next_cursor=next_cursor)

    def get_dataset(self, provider: Provider, dataset_id: str) -> Dataset:
        """Request one dataset (``GET <base>/catalog/datasets/<id>``)."""
        endpoint = self.endpoint(provider)
        response = self._http.get(
            f"{endpoint.base}/catalog/datasets/{pid_path(dataset_id)}", auth=self._auth(provider)
        )
        return self._decode(response, endpoint.dialect, Dataset)

    # -- negotiation ---------------------------------------------------------------------------------------

    def start_negotiation(self, provider: Provider, offer: Offer) -> str:
        """Send a ContractRequestMessage for ``offer``; return the consumer pid (the local id).

        The offer goes as given: the caller sets ``target`` (the dataset), ``assigner`` and any declared
        constraint (e.g. the purpose).

        Raises:
            ConfigurationError: ``offer.target`` is missing, or the provider has no ``participant_id``
                while a token source is set.
        """
        if not offer.target:
            raise ConfigurationError("the offer has no target: set offer.target to the dataset id")
        endpoint = self.endpoint(provider)
        self._auth(provider)  # fail before registering anything
        pid = new_pid()
        process = Process(
            sm.NegotiationRecord(pid, None, NegotiationState.REQUESTED, offer), provider, endpoint
        )
        self._register(process)  # callbacks may arrive before the 201 is read
        message = ContractRequestMessage(consumer_pid=pid, offer=offer, callback_address=self._callback_url)
        try:
            response = self._send(provider, endpoint, "/negotiations/request", message)
            ack = self._decode(response, endpoint.dialect, ContractNegotiation)
        except D4HError:
            with self._lock:
                self._processes.pop(pid, None)
            raise
        self._acknowledged(process, ack.provider_pid, ack.state)
        return pid

    def _status(self, process: Process) -> NegotiationStatus:
        record = process.record
        assert isinstance(record, sm.NegotiationRecord)
        agreement = record.agreement
        return NegotiationStatus(
            id=record.consumer_pid,
            state=record.state,
            raw_state=record.state.value,
            provider=process.provider,
            agreement_id=agreement.id if agreement else None,
            agreement=agreement,
            code=record.code,
            reason=record.reason,
        )

    def get_negotiation(self, negotiation_id: str) -> NegotiationStatus:
        """The negotiation's state, from callbacks; asks the provider when none came for a while.

        Raises:
            ConfigurationError: The id is unknown here.
        """
        process = self._process(negotiation_id, "negotiation")
        if self._needs_reconcile(process):
            self._reconcile(process)
        with self._lock:
            process.seen = process.record.version
            return self._status(process)

    def terminate_negotiation(self, negotiation_id: str, *, reason: str | None = None) -> None:
        """Send a ContractNegotiationTerminationMessage.

        Raises:
            ConfigurationError: The id is unknown here.
            NegotiationError: The negotiation is already FINALIZED or TERMINATED.
        """
        process = self._process(negotiation_id, "negotiation")
        record = process.record
        sm.check_move(record, "terminate-negotiation")
        reasons = (reason,) if reason else ()
        message = ContractNegotiationTerminationMessage(
            provider_pid=record.provider_pid or "", consumer_pid=record.consumer_pid, reason=reasons
        )
        path = f"/negotiations/{pid_path(message.provider_pid)}/termination"
        self._send(process.provider, process.endpoint, path, message)
        with self._lock:
            self._update(process, sm.advance(process.record, NegotiationState.TERMINATED, reason=reasons))

    def counter_offer(self, negotiation_id: str, offer: Offer) -> None:
        """Answer the provider's offer with a counter-offer (a ContractRequestMessage with both pids).

        The negotiation goes back to REQUESTED with ``offer`` as the consumer's offer; the provider answers
        with a new offer, an agreement or a termination.

        Raises:
            ConfigurationError: The id is unknown here.
            NegotiationError: The negotiation is not OFFERED.
        """
        process = self._process(negotiation_id, "negotiation")
        record = process.record
        assert isinstance(record, sm.NegotiationRecord)
        sm.check_move(record, "counter-offer")
        message = ContractRequestMessage(
            provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, offer=offer
        )
        path = f"/negotiations/{pid_path(record.provider_pid or '')}/request"
        self._send(process.provider, process.endpoint, path, message)
        with self._lock:
            current = process.record
            if isinstance(current, sm.NegotiationRecord) and current.state is NegotiationState.OFFERED:
                self._update(process, sm.countered(current, offer))

    def get_agreement(self, agreement_id: str) -> Agreement:
        """The agreement with this id, as received in a negotiation of this connector.

        Raises:
            ConfigurationError: No negotiation of this connector produced this agreement.
        """
        with self._lock:
            agreement = self._agreements.get(agreement_id)
        if agreement is None:
            raise ConfigurationError(f"unknown agreement {agreement_id!r}: no negotiation here produced it")
        return agreement

    # -- transfer ------------------------------------------------------------------------------------------

    def start_transfer(
        self,
        provider: Provider,
        agreement_id: str,
        *,
        transfer_type: str = "HttpData-PULL",
        data_destination: DataAddress | None = None,
    ) -> str:
        """Send a TransferRequestMessage (``format`` = ``transfer_type``); return the consumer pid.

        Raises:
            ConfigurationError: A push transfer without ``data_destination``, or an empty agreement id.
        """
        if not agreement_id:
            raise ConfigurationError("agreement_id must be the id of a contract agreement")
        if transfer_type.upper().endswith("PUSH") and data_destination is None:
            raise ConfigurationError(f"a {transfer_type} transfer needs a data_destination")
        endpoint = self.endpoint(provider)
        self._auth(provider)
        pid = new_pid()
        record = sm.TransferRecord(pid, None, TransferState.REQUESTED, agreement_id, transfer_type)
        process = Process(record, provider, endpoint)
        self._register(process)
        message = TransferRequestMessage(
            consumer_pid=pid,
            agreement_id=agreement_id,
            format=transfer_type,
            callback_address=self._callback_url,
            data_address=data_destination,
        )
        try:
            response = self._send(provider, endpoint, "/transfers/request", message)
            ack = self._decode(response, endpoint.dialect, TransferProcess)
        except D4HError:
            with self._lock:
                self._processes.pop(pid, None)
            raise
        self._acknowledged(process, ack.provider_pid, ack.state)
        return pid

    def _transfer_status(self, process: Process) -> TransferStatus:
        record = process.record
        assert isinstance(record, sm.TransferRecord)
        return TransferStatus(
            id=record.consumer_pid,
            state=record.state,
            raw_state=record.state.value,
            agreement_id=record.agreement_id,
            transfer_type=record.transfer_type,
            code=record.code,
            reason=record.reason,
        )

    def get_transfer(self, transfer_id: str) -> TransferStatus:
        """The transfer's state, from callbacks; asks the provider when none came for a while.

        Raises:
            ConfigurationError: The id is unknown here.
        """
        process = self._process(transfer_id, "transfer")
        if self._needs_reconcile(process):
            self._reconcile(process)
        with self._lock:
            process.seen = process.record.version
            return self._transfer_status(process)

    def _transfer_move(
        self,
        transfer_id: str,
        move: str,
        leaf: str,
        message_type: type[WireModel],
        state: TransferState,
        **fields: Any,
    ) -> None:
        process = self._process(transfer_id, "transfer")
        record = process.record
        sm.check_move(record, move)
        message = message_type(
            provider_pid=record.provider_pid or "", consumer_pid=record.consumer_pid, **fields
        )
        path = f"/transfers/{pid_path(record.provider_pid or '')}/{leaf}"
        self._send(process.provider, process.endpoint, path, message)
        with self._lock:
            self._update(process, sm.advance(process.record, state, **_state_fields(fields)))

    def suspend_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Send a TransferSuspensionMessage.

        Raises:
            ConfigurationError: The id is unknown here.
            TransferError: The transfer is not STARTED.
        """
        reasons = (reason,) if reason else ()
        self._transfer_move(
            transfer_id,
            "suspend",
            "suspension",
            TransferSuspensionMessage,
            TransferState.SUSPENDED,
            reason=reasons,
        )

    def resume_transfer(self, transfer_id: str) -> None:
        """Resume a suspended transfer: the consumer sends a TransferStartMessage (DSP has no resume message).

        A pull transfer's provider then sends a new start message with a fresh data address.

        Raises:
            ConfigurationError: The id is unknown here.
            TransferError: The transfer is not SUSPENDED.
        """
        self._transfer_move(transfer_id, "resume", "start", TransferStartMessage, TransferState.STARTED)

    def complete_transfer(self, transfer_id: str) -> None:
        """Send a TransferCompletionMessage.

        Raises:
            ConfigurationError: The id is unknown here.
            TransferError: The transfer is not STARTED.
        """
        self._transfer_move(
            transfer_id, "complete", "completion", TransferCompletionMessage, TransferState.COMPLETED
        )

    def terminate_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Send a TransferTerminationMessage.

        Raises:
            ConfigurationError: The id is unknown here.
            TransferError: The transfer is already COMPLETED or TERMINATED.
        """
        reasons = (reason,) if reason else ()
        self._transfer_move(
            transfer_id,
            "terminate-transfer",
            "termination",
            TransferTerminationMessage,
            TransferState.TERMINATED,
            reason=reasons,
        )

    def get_edr(self, transfer_id: str, *, refresh: bool = False) -> EndpointDataReference:
        """The endpoint data reference from the provider's TransferStartMessage.

        Args:
            transfer_id: The local transfer id.
            refresh: Not supported: DSP has no token refresh; start a new transfer (or suspend and resume
                it, after which the provider sends a new data address).

        Raises:
            UnsupportedOperationError: ``refresh=True``.
            ConfigurationError: The id is unknown here.
            TransferTerminatedError: The transfer was terminated.
            TransferError: The transfer has not started, is not a pull transfer, its endpoint is not an
                http(s) URL, or it was restored from a store (tokens are never exported).
        """
        if refresh:
            raise UnsupportedOperationError(
                "DSP has no EDR refresh: start a new transfer under the same agreement for a fresh token "
                "(or suspend and resume this one)"
            )
        process = self._process(transfer_id, "transfer")
        with self._lock:
            record = process.record
            dropped = process.token_dropped
        assert isinstance(record, sm.TransferRecord)
        if record.state is TransferState.TERMINATED:
            raise TransferTerminatedError(transfer_id, code=record.code, reason=record.reason)
        if record.state is not TransferState.STARTED or record.data_address is None:
            raise TransferError(
                f"transfer {transfer_id} has no data address (state {record.state.value}); "
                "wait until it is STARTED (pull transfers only)"
            )
        if dropped:
            raise TransferError(
                f"transfer {transfer_id} was restored from a store, which keeps no EDR token; "
                "start a new transfer (or suspend and resume it) for a fresh one"
            )
        address = record.data_address
        # EDC (0.14, 0.15) sends the endpoint, token and authType only as endpoint properties named by
        # EDC IRIs (https://w3id.org/edc/v0.0.1/ns/endpoint ...), with no DSP "endpoint" field.
        endpoint = address.endpoint or _named_property(address, "endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise TransferError(f"transfer {transfer_id}: the provider's data address is not an http(s) URL")
        expires = _named_property(address, "expiresAt")
        edr = EndpointDataReference(
            endpoint=endpoint,
            authorization=_named_property(address, "authorization"),
            auth_type=_named_property(address, "authType") or "bearer",
            endpoint_type=address.endpoint_type,
            transfer_id=transfer_id,
            agreement_id=record.agreement_id,
            expires_at=float(expires)
            if isinstance(expires, (int, float, str)) and _is_number(expires)
            else None,
        )
        return edr.model_copy(update={"auth_type": None}) if self.raw_edr_token else edr

    # -- persistence ---------------------------------------------------------------------------------------

    def export_process(self, local_id: str) -> dict[str, Any]:
        """A JSON-serialisable record of a negotiation or transfer, for a store (EDR tokens left out).

        Raises:
            ConfigurationError: The id is unknown here.
        """
        with self._lock:
            process = self._processes.get(local_id)
            if process is None:
                raise ConfigurationError(f"unknown process {local_id!r}: this connector did not start it")
            return export_process(process)

    def restore_process(self, record: Mapping[str, Any]) -> str:
        """Track a process exported by :meth:`export_process` (maybe in another OS process); return its id.

        Callbacks for it are accepted again (at this connector's callback URL: bind the same port, or use
        the same public callback URL) and the next ``get_*`` asks the provider for its state.

        Raises:
            ConfigurationError: The record is malformed.
        """
        process = restore_process(record)
        with self._lock:
            existing = self._processes.get(process.record.consumer_pid)
            if existing is None:
                self._processes[process.record.consumer_pid] = process
                self._endpoints.setdefault(
                    (process.provider.address, process.provider.protocol), process.endpoint
                )
                self._update(process, process.record)
            else:
                existing.reconcile = (
                    True  # a resume asks the provider at once instead of after reconcile_after
                )
        return process.record.consumer_pid


def _state_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"reason": tuple(fields["reason"])} if fields.get("reason") else {}


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True
