"""Raw EDC Management API calls the smoke tests drive (HttpClient + d4h_sdk.wire/models only).

The SDK's EdcConnector will replace most of this; until then these helpers keep the tests readable.
Provider-side bodies (assets, policy and contract definitions) have no SDK model yet and are written as
plain dicts in EDC's v3 shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.models import Catalog
from d4h_sdk.models.management import (
    CatalogRequest,
    ContractRequest,
    Criterion,
    EdcState,
    IdResponse,
    QuerySpec,
    TransferRequest,
)
from d4h_sdk.models.policy import Offer
from d4h_sdk.testing._edc import EdcRuntime

EDC_VOCAB = {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}
EDC_ID = "https://w3id.org/edc/v0.0.1/ns/id"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
PROTOCOLS = {"2025-1": "dataspace-protocol-http:2025-1", "2024/1": "dataspace-protocol-http:2024/1"}


@dataclass(frozen=True)
class Api:
    """How the tests talk to one runtime's Management API: which version path and which wire dialect."""

    runtime: EdcRuntime
    client: HttpClient
    path: str  # "v3" or "v4beta"

    @property
    def dialect(self) -> str:
        return "edc-v3" if self.path == "v3" else "edc-v4"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.runtime.api_key}

    def url(self, tail: str, *, path: str | None = None) -> str:
        return f"{self.runtime.management_url}/{path or self.path}/{tail}"

    def post(self, tail: str, body: Any, *, path: str | None = None) -> HttpResponse:
        return self.client.post(self.url(tail, path=path), json=body, headers=self.headers)

    def get(self, tail: str, *, path: str | None = None) -> HttpResponse:
        return self.client.get(self.url(tail, path=path), headers=self.headers)


class DspPeer(Protocol):
    """A provider the consumer EDC talks to: an EDC runtime or the d4h sandbox."""

    @property
    def dsp_url(self) -> str: ...

    @property
    def participant_id(self) -> str: ...


def asset_id(index: int) -> str:
    return f"asset-{index:03d}"


def seed_provider(api: Api, count: int, data_url: Callable[[int], str]) -> None:
    """Create ``count`` assets, each with its own open policy and contract definition (v3 bodies)."""
    for index in range(count):
        aid = asset_id(index)
        api.post(
            "assets",
            {
                "@context": EDC_VOCAB,
                "@id": aid,
                "properties": {"name": f"Test asset {index}", "contenttype": "application/json"},
                "dataAddress": {"@type": "DataAddress", "type": "HttpData", "baseUrl": data_url(index)},
            },
            path="v3",
        )
        api.post(
            "policydefinitions",
            {
                "@context": EDC_VOCAB,
                "@id": f"policy-{aid}",
                "policy": {"@context": ODRL_CONTEXT, "@type": "Set", "permission": [], "prohibition": []},
            },
            path="v3",
        )
        api.post(
            "contractdefinitions",
            {
                "@context": EDC_VOCAB,
                "@id": f"contract-{aid}",
                "accessPolicyId": f"policy-{aid}",
                "contractPolicyId": f"policy-{aid}",
                "assetsSelector": [
                    {"@type": "Criterion", "operandLeft": EDC_ID, "operator": "=", "operandRight": aid}
                ],
            },
            path="v3",
        )


def request_catalog(
    api: Api,
    provider: DspPeer,
    *,
    version: str = "2025-1",
    offset: int = 0,
    limit: int = 50,
    only: str | None = None,
) -> Catalog:
    """The provider's catalog as the consumer's EDC fetches it over DSP ``version``.

    ``only`` keeps the one asset with that id (a ``filterExpression`` on ``edc:id``).
    """
    query = QuerySpec(
        offset=offset,
        limit=limit,
        filter_expression=(Criterion(operand_left=EDC_ID, operator="=", operand_right=only),) if only else (),
    )
    request = CatalogRequest(
        counter_party_address=f"{provider.dsp_url}/{version}",
        counter_party_id=provider.participant_id,
        protocol=PROTOCOLS[version],
        query_spec=query,
    )
    response = api.post("catalog/request", wire.encode(request, dialect=api.dialect))
    catalog = wire.decode(response.content)
    assert isinstance(catalog, Catalog)
    return catalog


def negotiate(api: Api, provider: DspPeer, offer: Offer, *, version: str = "2025-1") -> str:
    """Start a negotiation for ``offer`` and wait for FINALIZED; return the agreement id."""
    request = ContractRequest(
        counter_party_address=f"{provider.dsp_url}/{version}",
        counter_party_id=provider.participant_id,
        protocol=PROTOCOLS[version],
        policy=offer,
    )
    created = wire.decode(api.post("contractnegotiations", wire.encode(request, dialect=api.dialect)).content)
    assert isinstance(created, IdResponse)
    wait_state(api, f"contractnegotiations/{created.id}", "FINALIZED")
    negotiation = api.get(f"contractnegotiations/{created.id}").json()
    agreement = negotiation.get("contractAgreementId") or negotiation.get("edc:contractAgreementId")
    assert isinstance(agreement, str), negotiation
    return agreement


def start_pull_transfer(api: Api, provider: DspPeer, agreement_id: str, *, version: str = "2025-1") -> str:
    """Start an HttpData-PULL transfer and wait for STARTED; return the transfer process id."""
    request = TransferRequest(
        counter_party_address=f"{provider.dsp_url}/{version}",
        counter_party_id=provider.participant_id,
        protocol=PROTOCOLS[version],
        contract_id=agreement_id,
        data_destination={"type": "HttpProxy"} if api.path == "v3" else None,
    )
    created = wire.decode(api.post("transferprocesses", wire.encode(request, dialect=api.dialect)).content)
    assert isinstance(created, IdResponse)
    wait_state(api, f"transferprocesses/{created.id}", "STARTED")
    return created.id


def wait_state(api: Api, resource: str, wanted: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    state = "?"
    while time.monotonic() < deadline:
        decoded = wire.decode(api.get(f"{resource}/state").content, dialect=api.dialect)
        assert isinstance(decoded, EdcState)
        state = decoded.state
        if state == wanted:
            return
        if state == "TERMINATED":
            detail = api.get(resource).json()
            raise AssertionError(f"{resource} TERMINATED: {detail.get('errorDetail')}")
        time.sleep(0.25)
    raise AssertionError(f"{resource} still {state} after {timeout} s (wanted {wanted})")
