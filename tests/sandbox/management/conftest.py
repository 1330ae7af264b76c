"""Fixtures: a module-scoped sandbox, a raw management API client, EDC-shaped request bodies."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._sandbox import RESEARCH_LAB, Sandbox

EDC_VOCAB = {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}
V4_CONTEXT = ["https://w3id.org/edc/connector/management/v2"]
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
DSP_2025 = "dataspace-protocol-http:2025-1"
WAIT_S = 15.0


class Mgmt:
    """Raw HTTP against one participant's management API, as an EDC client sends it."""

    def __init__(self, http: HttpClient, base: str, api_key: str, version: str = "v3") -> None:
        self.http = http
        self.base = base
        self.api_key = api_key
        self.version = version

    @property
    def context(self) -> Any:
        return dict(EDC_VOCAB) if self.version == "v3" else list(V4_CONTEXT)

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None, version: str | None = None
    ) -> HttpResponse:
        url = f"{self.base}/{version or self.version}{path}"
        headers = {"X-Api-Key": self.api_key if key is None else key} if key != "" else {}
        return self.http.request(method, url, json=body, headers=headers, allow_status=range(400, 600))

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, body, **kwargs)
        assert 200 <= response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def wait_state(self, kind: str, ident: str, states: set[str], timeout: float = WAIT_S) -> str:
        deadline = time.monotonic() + timeout
        while True:
            state = self.ok("GET", f"/{kind}/{ident}/state")["state"]
            if state in states or time.monotonic() > deadline:
                return str(state)
            time.sleep(0.02)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=3, patients=12, page_size=2) as ds:
        yield ds


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 20), max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def lab(sandbox: Sandbox, http: HttpClient) -> Mgmt:
    return Mgmt(http, sandbox.management_url(RESEARCH_LAB), sandbox.management_api_key(RESEARCH_LAB))


@pytest.fixture(scope="module")
def lab_v4(sandbox: Sandbox, http: HttpClient) -> Mgmt:
    return Mgmt(http, sandbox.management_url(RESEARCH_LAB), sandbox.management_api_key(RESEARCH_LAB), "v4")


def catalog_request(sandbox: Sandbox, context: Any, **query: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@context": context,
        "@type": "CatalogRequest",
        "counterPartyAddress": sandbox.provider_url,
        "counterPartyId": sandbox.provider.did,
        "protocol": DSP_2025,
    }
    if query:
        body["querySpec"] = {"@type": "QuerySpec", **query}
    return body


def requested_policy(offer: dict[str, Any], target: str, assigner: str, purpose: str) -> dict[str, Any]:
    """The consumer's copy of a catalog offer (EDC compact keys), with target, assigner and a purpose."""
    policy = {k: v for k, v in offer.items() if k != "@context"}
    permissions: Any = policy.get("permission") or policy.get("odrl:permission")
    permission = dict(permissions[0] if isinstance(permissions, list) else permissions)
    constraints = permission.get("constraint", [])
    constraints = list(constraints) if isinstance(constraints, list) else [constraints]
    constraints.append({"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": {"@id": purpose}})
    permission["constraint"] = constraints
    policy["permission"] = [permission]
    return {**policy, "@type": "Offer", "target": target, "assigner": assigner}


def contract_request(
    sandbox: Sandbox, context: Any, offer: dict[str, Any], target: str, *, purpose: str | None = None
) -> dict[str, Any]:
    policy = requested_policy(
        offer, target, sandbox.provider.did, purpose or purposes.SCIENTIFIC_RESEARCH.iri
    )
    if isinstance(context, dict):
        policy = {"@context": ODRL_CONTEXT, **policy}
    return {
        "@context": context,
        "@type": "ContractRequest",
        "counterPartyAddress": sandbox.provider_url,
        "counterPartyId": sandbox.provider.did,
        "protocol": DSP_2025,
        "policy": policy,
    }


def datasets_of(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    found = catalog.get("dataset", catalog.get("dcat:dataset", []))
    return found if isinstance(found, list) else [found]


def offers_of(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    found = dataset.get("hasPolicy", dataset.get("odrl:hasPolicy", []))
    return found if isinstance(found, list) else [found]


Waiter = Callable[..., str]
