"""The participant's own EDC as a connector backend: Management API v3 (EDC 0.14) or v4 (EDC 0.17+).

Version differences live in :data:`d4h_sdk.connectors._edc_api.PROFILES`; this module only asks the active
profile for paths, dialects and capabilities. Request and response bodies go through :mod:`d4h_sdk.wire`
(dialects ``edc-v3`` / ``edc-v4``); the provider-side bodies (asset, policy and contract definitions) are
built in :mod:`d4h_sdk.connectors._edc_provider`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from d4h_sdk import wire
from d4h_sdk.connectors import _edc_provider as edc_provider
from d4h_sdk.connectors._edc_api import (
    PROFILES,
    error_fields,
    is_edc_error,
    negotiation_state,
    transfer_state,
)
from d4h_sdk.connectors._edc_client import NO_ROUTE, EdcClient, segment
from d4h_sdk.connectors._types import (
    DSP_2025_1,
    CatalogPage,
    NegotiationStatus,
    Provider,
    Publication,
    PublishedAsset,
    TransferStatus,
)
from d4h_sdk.errors import (
    APIStatusError,
    ConfigurationError,
    DecodeError,
    NotFoundError,
    ResponseValidationError,
    ServerError,
    UnsupportedOperationError,
)
from d4h_sdk.models import Catalog, Dataset, EndpointDataReference, Offer
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.management import (
    CatalogRequest,
    ContractRequest,
    DatasetRequest,
    EdcContractAgreement,
    EdcContractNegotiation,
    EdcTransferProcess,
    EdrEntry,
    QuerySpec,
    SuspendTransfer,
    TerminateNegotiation,
    TerminateTransfer,
    TransferRequest,
)
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import DataAddress

if TYPE_CHECKING:
    from d4h_sdk._http import AuthBase, HttpClient, HttpResponse

__all__ = ["EdcConnector"]

_DEFAULT_REASON = "terminated by the consumer (d4h_sdk)"
_RELAYED_404 = re.compile(r'"(?:dspace:)?code"\s*:\s*"404"')


def _destination(address: DataAddress) -> dict[str, Any]:
    """A DSP data address as EDC's ``dataDestination``: ``type``, ``baseUrl`` and the properties as keys."""
    destination: dict[str, Any] = {"type": address.endpoint_type}
    if address.endpoint:
        destination["baseUrl"] = address.endpoint
    for item in address.endpoint_properties:
        destination[item.name] = item.value
    return destination


def _expires_in(doc: Mapping[str, Any]) -> float | None:
    for key, value in doc.items():
        if key.rsplit(":", 1)[-1].rsplit("/", 1)[-1] == "expiresIn":
            raw = value[0] if isinstance(value, list) and value else value
            raw = raw.get("@value") if isinstance(raw, Mapping) else raw
            if not isinstance(raw, (str, int, float)):
                return None
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


class EdcConnector:
    """A :class:`~d4h_sdk.connectors.PublishingConnector` over an EDC Management API (v3 or v4).

    Args:
        management_url: The management base, without the version (e.g. ``http://localhost:19193/management``).
        api_key: The ``X-Api-Key`` value (never shown in reprs, logs or errors).
        auth: Any ``requests`` auth object instead of a key, e.g.
            :class:`~d4h_sdk.identity.auth.ClientCredentialsAuth` (OAuth2).
        api_version: ``"v3"`` or ``"v4"``; ``None`` detects it with one request on first use (see
            :mod:`d4h_sdk.connectors._edc_api` for the rule) and keeps the answer.
        protocol: The DSP protocol id used when a :class:`Provider` names none.
        http: The HTTP client to use (not closed by :meth:`close`); by default the connector owns one.
        catalog_page_size: Datasets per catalog page when the caller gives no ``page_size``.
        raw_edr_token: Present EDR tokens as they are (``Authorization: <token>``), whatever the EDR's
            ``authType`` says (the default): EDC's data plane public API (0.14, 0.15) refuses
            ``Bearer <token>`` with 403 although its EDRs say ``authType: bearer``. ``False`` follows the
            EDR's ``authType``. Also settable later as the attribute of the same name.

    Raises:
        ConfigurationError: Both ``api_key`` and ``auth``, an unknown ``api_version``, a non-HTTP URL or a
            page size below 1.
    """

    def __init__(
        self,
        management_url: str,
        *,
        api_key: str | None = None,
        auth: AuthBase | None = None,
        api_version: Literal["v3", "v4"] | None = None,
        protocol: str = DSP_2025_1,
        http: HttpClient | None = None,
        catalog_page_size: int = 50,
        raw_edr_token: bool = True,
    ) -> None:
        if not isinstance(management_url, str) or not management_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"management_url must be an http(s) URL, got {management_url!r}")
        if api_key is not None and auth is not None:
            raise ConfigurationError("pass either api_key= or auth=, not both")
        if api_version is not None and api_version not in PROFILES:
            raise ConfigurationError(
                f"api_version must be one of {sorted(PROFILES)} or None, got {api_version!r}"
            )
        if catalog_page_size < 1:
            raise ConfigurationError(f"catalog_page_size must be 1 or more, got {catalog_page_size}")
        if api_key is not None:
            from d4h_sdk.identity.auth import ApiKeyAuth

            auth = ApiKeyAuth(api_key)
        self._protocol = protocol
        self._page_size = catalog_page_size
        owns_http = http is None
        if http is None:
            from d4h_sdk._http import HttpClient

            http = HttpClient()
        profile = PROFILES[api_version] if api_version else None
        self._client = EdcClient(management_url.rstrip("/"), auth, http, owns_http, profile)
        self._agreements: dict[str, str] = {}
        self.raw_edr_token = raw_edr_token
        """Whether :meth:`get_edr` returns EDRs whose token is sent as is (no ``Bearer`` prefix)."""

    @property
    def api_version(self) -> str:
        """``v3`` or ``v4`` (detected with one request on first access when not configured)."""
        return self._client.active().version

    @property
    def kind(self) -> str:
        """``edc-v3`` or ``edc-v4``."""
        return self._client.active().kind

    def _counter_party(self, provider: Provider, fallback_id: str | None = None) -> dict[str, Any]:
        party_id = provider.participant_id or fallback_id
        profile = self._client.active()
        if party_id is None and profile.counter_party_id_required:
            raise ConfigurationError(
                f"EDC Management API {profile.version} needs the provider's participant id: "
                "give Provider(participant_id=...)"
            )
        return {
            "counter_party_address": provider.address,
            "counter_party_id": party_id,
            "protocol": provider.protocol or self._protocol,
        }

    # -- catalog ------------------------------------------------------------------------------------------

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        """Request one catalog page through the EDC (``POST <prefix>/catalog/request`` with a QuerySpec).

        Args:
            provider: The provider to ask.
            cursor: The ``next_cursor`` of the previous page (an offset), or ``None`` for the first page.
            page_size: Datasets per page (default: ``catalog_page_size``).

        Returns:
            The page; ``next_cursor`` is ``None`` when it held fewer datasets than asked for.

        Raises:
            ConfigurationError: A malformed cursor or page size.
            APIError: The EDC refused or failed (subclass per status).
        """
        limit = page_size if page_size is not None else self._page_size
        if limit < 1:
            raise ConfigurationError(f"page_size must be 1 or more, got {limit}")
        try:
            offset = int(cursor) if cursor is not None else 0
        except ValueError:
            raise ConfigurationError(f"not a cursor of this connector: {cursor!r}") from None
        if offset < 0:
            raise ConfigurationError(f"not a cursor of this connector: {cursor!r}")
        profile = self._client.active()
        request = CatalogRequest(
            **self._counter_party(provider), query_spec=QuerySpec(offset=offset, limit=limit)
        )
        response = self._client.send(
            "POST", profile.prefix + "/catalog/request", body=wire.encode(request, dialect=profile.dialect)
        )
        catalog = self._client.decode(response, Catalog, profile.catalog_dialect)
        full = len(catalog.datasets) >= limit
        return CatalogPage(catalog=catalog, next_cursor=str(offset + limit) if full else None)

    def get_dataset(self, provider: Provider, dataset_id: str) -> Dataset:
        """Request one dataset with its offers (``POST <prefix>/catalog/dataset/request``).

        Raises:
            APIError: The EDC refused or failed (subclass per status).
        """
        profile = self._client.active()
        request = DatasetRequest(id=dataset_id, **self._counter_party(provider))
        try:
            response = self._client.send(
                "POST",
                profile.prefix + "/catalog/dataset/request",
                body=wire.encode(request, dialect=profile.dialect),
            )
        except ServerError as exc:
            # EDC relays the provider's DSP 404 (CatalogError code "404") as its own 502.
            if exc.status_code == 502 and _RELAYED_404.search(str(exc)):
                raise NotFoundError(
                    f"the provider does not know dataset {dataset_id!r} (EDC relayed its 404 as 502): {exc}",
                    status_code=404,
                    request_method=exc.request_method,
                    url=exc.url,
                    body=exc.body,
                ) from exc
            raise
        return self._client.decode(response, Dataset, profile.catalog_dialect)

    # -- negotiation --------------------------------------------------------------------------------------

    def start_negotiation(self, provider: Provider, offer: Offer) -> str:
        """Start a negotiation for ``offer`` (``POST <prefix>/contractnegotiations``); return EDC's id.

        EDC needs the offer's ``target`` (the dataset id) and ``assigner`` (the provider); a missing
        assigner is taken from ``provider.participant_id``.

        Raises:
            ConfigurationError: The offer has no target, or no assigner can be found.
            APIError: The EDC refused or failed.
        """
        if not offer.target:
            raise ConfigurationError(f"offer {offer.id!r} needs a target (the dataset id) for EDC")
        assigner = offer.assigner or provider.participant_id
        if not assigner:
            raise ConfigurationError(
                f"offer {offer.id!r} has no assigner: give Provider(participant_id=...) for EDC"
            )
        policy = offer if offer.assigner else offer.model_copy(update={"assigner": assigner})
        request = ContractRequest(policy=policy, **self._counter_party(provider, assigner))
        return self._client.create("/contractnegotiations", request)

    def get_negotiation(self, negotiation_id: str) -> NegotiationStatus:
        """The negotiation's state (``GET <prefix>/contractnegotiations/{id}``), mapped to DSP's states."""
        profile = self._client.active()
        response = self._client.send(
            "GET", f"{profile.prefix}/contractnegotiations/{segment(negotiation_id)}"
        )
        record = self._client.decode(response, EdcContractNegotiation, profile.dialect)
        counter_party: Provider | None = None
        address = record.counter_party_address
        if address and address.startswith(("http://", "https://")):
            counter_party = Provider(address, record.counter_party_id, record.protocol)
        code, reason = error_fields(record.error_detail)
        return NegotiationStatus(
            id=record.id,
            state=negotiation_state(record.state),
            raw_state=record.state,
            provider=counter_party,
            agreement_id=record.contract_agreement_id,
            code=code,
            reason=reason,
        )

    def terminate_negotiation(self, negotiation_id: str, *, reason: str | None = None) -> None:
        """Terminate a negotiation (``POST <prefix>/contractnegotiations/{id}/terminate``)."""
        profile = self._client.active()
        body = wire.encode(TerminateNegotiation(reason=reason or _DEFAULT_REASON), dialect=profile.dialect)
        if isinstance(body, dict):
            # EDC 0.14/0.15 refuse the body without "@id" (400 "@id cannot be null or blank").
            body = {**body, "@id": negotiation_id}
        self._client.send(
            "POST", f"{profile.prefix}/contractnegotiations/{segment(negotiation_id)}/terminate", body=body
        )

    def get_agreement(self, agreement_id: str) -> Agreement:
        """The agreement's policy (``GET <prefix>/contractagreements/{id}``).

        Raises:
            ResponseValidationError: The agreement EDC returned carries no policy.
        """
        profile = self._client.active()
        response = self._client.send("GET", f"{profile.prefix}/contractagreements/{segment(agreement_id)}")
        record = self._client.decode(response, EdcContractAgreement, profile.dialect)
        if record.policy is None:
            raise ResponseValidationError(
                f"GET {response.url}: the agreement {agreement_id} has no policy",
                request_method="GET",
                url=response.url,
            )
        policy = record.policy
        update: dict[str, Any] = {}
        if policy.id is None:
            update["id"] = record.id
        if policy.target is None and record.asset_id:
            update["target"] = record.asset_id
        return policy.model_copy(update=update) if update else policy

    # -- transfer -----------------------------------------------------------------------------------------

    def start_transfer(
        self,
        provider: Provider,
        agreement_id: str,
        *,
        transfer_type: str = "HttpData-PULL",
        data_destination: DataAddress | None = None,
    ) -> str:
        """Start a transfer under an agreement (``POST <prefix>/transferprocesses``); return EDC's id.

        Raises:
            UnsupportedOperationError: A push destination on an API version without ``dataDestination`` (v4).
            APIError: The EDC refused or failed.
        """
        profile = self._client.active()
        destination: dict[str, Any] | None = None
        if data_destination is not None:
            if not profile.data_destination:
                raise UnsupportedOperationError(
                    f"EDC Management API {profile.version} has no dataDestination: push transfers are not "
                    "possible through it; use a PULL transfer type"
                )
            destination = _destination(data_destination)
        request = TransferRequest(
            contract_id=agreement_id,
            transfer_type=transfer_type,
            data_destination=destination,
            **self._counter_party(provider),
        )
        transfer_id = self._client.create("/transferprocesses", request)
        self._agreements[transfer_id] = agreement_id
        return transfer_id

    def get_transfer(self, transfer_id: str) -> TransferStatus:
        """The transfer's state (``GET <prefix>/transferprocesses/{id}``), mapped to DSP's states."""
        profile = self._client.active()
        response = self._client.send("GET", f"{profile.prefix}/transferprocesses/{segment(transfer_id)}")
        record = self._client.decode(response, EdcTransferProcess, profile.dialect)
        if record.contract_id:
            self._agreements[record.id] = record.contract_id
        code, reason = error_fields(record.error_detail)
        return TransferStatus(
            id=record.id,
            state=transfer_state(record.state, failed=bool(record.error_detail)),
            raw_state=record.state,
            agreement_id=record.contract_id,
            transfer_type=record.transfer_type,
            code=code,
            reason=reason,
        )

    def _transfer_action(self, transfer_id: str, action: str, message: WireModel | None) -> None:
        profile = self._client.active()
        body = wire.encode(message, dialect=profile.dialect) if message is not None else None
        self._client.send(
            "POST", f"{profile.prefix}/transferprocesses/{segment(transfer_id)}/{action}", body=body
        )

    def suspend_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Suspend a started transfer (``POST <prefix>/transferprocesses/{id}/suspend``)."""
        self._transfer_action(
            transfer_id, "suspend", SuspendTransfer(reason=reason or "suspended by the consumer")
        )

    def resume_transfer(self, transfer_id: str) -> None:
        """Resume a suspended transfer (``POST <prefix>/transferprocesses/{id}/resume``)."""
        self._transfer_action(transfer_id, "resume", None)

    def complete_transfer(self, transfer_id: str) -> None:
        """Complete a transfer, where the API version has the call.

        Raises:
            UnsupportedOperationError: EDC's Management API v3 and v4 have no completion call (the
                provider's data plane completes pull transfers; terminate to end one early).
        """
        profile = self._client.active()
        if profile.complete_path is None:
            raise UnsupportedOperationError(
                f"EDC Management API {profile.version} cannot complete a transfer; terminate it instead"
            )
        self._transfer_action(transfer_id, profile.complete_path, None)

    def terminate_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Terminate a transfer (``POST <prefix>/transferprocesses/{id}/terminate``)."""
        self._transfer_action(transfer_id, "terminate", TerminateTransfer(reason=reason or _DEFAULT_REASON))

    # -- EDR ----------------------------------------------------------------------------------------------

    def _edr_send(self, method: str, path: str, what: str, body: object = None) -> HttpResponse:
        try:
            return self._client.send(method, path, body=body)
        except APIStatusError as exc:
            not_implemented = exc.status_code == 501  # a server saying it has no such operation
            if not_implemented or (
                exc.status_code in NO_ROUTE and not is_edc_error(exc.body, "ObjectNotFound")
            ):
                raise UnsupportedOperationError(
                    f"this EDC does not serve {what} at {path} (HTTP {exc.status_code}); EDC without the "
                    "v3 EDR cache API (removed with Management API v3) delivers EDRs only through "
                    "transfer.process.started callbacks"
                ) from exc
            raise

    def get_edr(self, transfer_id: str, *, refresh: bool = False) -> EndpointDataReference:
        """The EDR of a started pull transfer from EDC's EDR cache.

        ``GET <edr>/{id}/dataaddress``; with ``refresh`` ``POST <edr>/{id}/refresh`` (Tractus-X EDC's
        explicit refresh; upstream EDC has none). ``<edr>`` is ``/v3/edrs`` for both API versions: EDC
        0.17/0.18 serve no v4 EDR API.

        Raises:
            NotFoundError: EDC has no EDR for the transfer (not started yet, or not a pull transfer).
            UnsupportedOperationError: The EDC serves no EDR cache API (or no refresh call).
            APIError: The EDC failed.
        """
        profile = self._client.active()
        base = f"{profile.edr_prefix}/{segment(transfer_id)}"
        if refresh:
            response = self._edr_send("POST", base + "/refresh", "an EDR refresh call")
        else:
            response = self._edr_send("GET", base + "/dataaddress", "the EDR cache API")
        doc = response.json()
        if isinstance(doc, dict) and "@type" not in doc:
            doc = {**doc, "@type": "DataAddress"}
        edr = self._client.decode_doc(doc, response, EndpointDataReference, profile.edr_dialect)
        update: dict[str, Any] = {"transfer_id": transfer_id}
        if self.raw_edr_token:
            update["auth_type"] = None
        agreement_id = self._agreements.get(transfer_id) or self.get_transfer(transfer_id).agreement_id
        if agreement_id:
            update["agreement_id"] = agreement_id
        expires_in = _expires_in(doc) if isinstance(doc, dict) and edr.expires_at is None else None
        if expires_in is not None:
            update["expires_at"] = time.time() + expires_in
        return edr.model_copy(update=update)

    def list_edrs(self, query: QuerySpec | None = None) -> list[EdrEntry]:
        """Entries of EDC's EDR cache (``POST <edr>/request``).

        Raises:
            UnsupportedOperationError: The EDC serves no EDR cache API.
        """
        profile = self._client.active()
        body = wire.encode(query or QuerySpec(), dialect=profile.edr_dialect)
        response = self._edr_send("POST", profile.edr_prefix + "/request", "the EDR cache API", body)
        try:
            entries = wire.decode_list(response.json(), dialect=profile.edr_dialect)
        except DecodeError as exc:
            raise ResponseValidationError(
                f"POST {response.url}: not a list of EDR entries: {exc}",
                request_method="POST",
                url=response.url,
            ) from exc
        return [entry for entry in entries if isinstance(entry, EdrEntry)]

    # -- generic queries and provider side ------------------------------------------------------------

    def query(self, resource: str, query: QuerySpec | None = None) -> list[dict[str, Any]]:
        """Query a Management API resource (``POST <prefix>/<resource>/request``) and return the raw objects.

        Args:
            resource: E.g. ``assets``, ``policydefinitions``, ``contractdefinitions``,
                ``contractnegotiations``, ``transferprocesses``, ``contractagreements``.
            query: Paging and filters (EDC's default page is 50).

        Returns:
            The JSON objects as EDC compacted them (read terms with or without the ``edc:`` prefix).

        Raises:
            ResponseValidationError: EDC did not answer with a JSON array.
        """
        return self._client.query(resource, query)

    def publish(self, publication: Publication) -> PublishedAsset:
        """Create the asset, its policy definition(s) and a contract definition, in that order.

        When a step fails, what was created before is deleted again (failures of that clean-up are logged
        at WARNING) and the original error is raised.

        Raises:
            ConflictError: One of the ids exists already.
            APIError: The EDC refused or failed.
        """
        return edc_provider.publish(self._client, publication)

    def unpublish(self, asset_id: str) -> None:
        """Delete what :meth:`publish` created for ``asset_id``.

        That is: the contract definitions selecting the asset, their policy definitions (unless another
        contract definition still uses them), and the asset.

        Raises:
            NotFoundError: Neither a contract definition nor the asset exists.
            APIError: The EDC refused or failed.
        """
        edc_provider.unpublish(self._client, asset_id)

    def list_published(self) -> list[PublishedAsset]:
        """Contract definitions that select one existing asset by id, with their policy ids."""
        return edc_provider.list_published(self._client)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client if the connector created it (idempotent)."""
        self._client.close()

    def __enter__(self) -> EdcConnector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        profile = self._client.profile
        auth = type(self._client.auth).__name__ if self._client.auth is not None else None
        version = profile.version if profile is not None else "undetected"
        return f"EdcConnector({self._client.base!r}, api_version={version!r}, auth={auth})"
