"""The provider side of the sandbox's EDC Management API facade: assets, policies, contract definitions.

Resources live in memory. Whenever an asset, a contract definition selecting it and the definition's
contract and access policies all exist, the asset is published in the sandbox
:class:`~d4h_sdk.sandbox._provider.ProviderConnector` (see :mod:`._management_publish`); when that stops
being true (a definition or the asset deleted), it is withdrawn with ``remove_dataset``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from d4h_sdk._http import HttpClient
from d4h_sdk.models import Offer
from d4h_sdk.sandbox._http_server import Request, Response, json_response
from d4h_sdk.sandbox._management_common import EdcApiError, Query, now_ms, read_body
from d4h_sdk.sandbox._management_publish import (
    build_dataset,
    http_url,
    offer_id,
    parse_policy,
    selected_assets,
)
from d4h_sdk.sandbox._management_routes import Route
from d4h_sdk.sandbox._provider import ProviderConnector
from d4h_sdk.wire._edc import V3_CONTEXT, V4_CONTEXT

__all__ = ["ProviderManagement"]

_BOTH = ("v3", "v4")


@dataclass
class _Kind:
    """One resource collection: its EDC type, path and records by id."""

    type: str
    path: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


class ProviderManagement:
    """The provider participant's Management API (v3 and v4) publishing into a provider connector.

    Args:
        connector: The sandbox provider connector datasets are published to.
        http: The client payloads stream their ``HttpData`` source through (not closed).
    """

    def __init__(self, connector: ProviderConnector, http: HttpClient) -> None:
        self._connector = connector
        self._http = http
        self._lock = threading.RLock()
        self._assets = _Kind("Asset", "/assets")
        self._policies = _Kind("PolicyDefinition", "/policydefinitions")
        self._contracts = _Kind("ContractDefinition", "/contractdefinitions")
        self._published: set[str] = set()

    def routes(self) -> list[Route]:
        """CRUD and query routes of assets, policy definitions and contract definitions (v3 and v4)."""
        routes: list[Route] = []
        for kind in (self._assets, self._policies, self._contracts):
            routes += [
                ("POST", kind.path, self._creator(kind), _BOTH),
                ("POST", f"{kind.path}/request", self._querier(kind), _BOTH),
                ("GET", f"{kind.path}/{{id}}", self._getter(kind), _BOTH),
                ("DELETE", f"{kind.path}/{{id}}", self._deleter(kind), _BOTH),
            ]
        return routes

    @property
    def published(self) -> list[str]:
        """The asset ids currently published in the provider connector."""
        with self._lock:
            return sorted(self._published)

    # -- generic CRUD --------------------------------------------------------------------------------------

    def _creator(self, kind: _Kind) -> Any:
        def create(request: Request, params: Mapping[str, str], dialect: str) -> Response:
            body = read_body(request)
            ident = body.get("@id")
            if not isinstance(ident, str) or not ident:
                raise EdcApiError(400, f"a {kind.type} needs an @id", "ValidationFailure", "@id")
            record = self._validated(kind, ident, body)
            with self._lock:
                if ident in kind.records:
                    raise EdcApiError(409, f"{kind.type} with ID {ident} already exists", "ObjectConflict")
                kind.records[ident] = record
                self._republish()
            created = record["createdAt"]
            return json_response(
                _with_context({"@type": "IdResponse", "@id": ident, "createdAt": created}, dialect)
            )

        return create

    def _getter(self, kind: _Kind) -> Any:
        def get(request: Request, params: Mapping[str, str], dialect: str) -> Response:
            with self._lock:
                record = kind.records.get(params["id"])
            if record is None:
                raise EdcApiError.not_found(kind.type, params["id"])
            return json_response(_with_context(record, dialect))

        return get

    def _querier(self, kind: _Kind) -> Any:
        def query(request: Request, params: Mapping[str, str], dialect: str) -> Response:
            spec = Query.parse(read_body(request, optional=True))
            with self._lock:
                records = list(kind.records.values())
            return json_response([_with_context(r, dialect) for r in spec.apply(records)])

        return query

    def _deleter(self, kind: _Kind) -> Any:
        def delete(request: Request, params: Mapping[str, str], dialect: str) -> Response:
            with self._lock:
                if kind.records.pop(params["id"], None) is None:
                    raise EdcApiError.not_found(kind.type, params["id"])
                self._republish()
            return Response(b"", status=204)

        return delete

    def _validated(self, kind: _Kind, ident: str, body: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {k: v for k, v in body.items() if k != "@type"}
        record.update({"@id": ident, "@type": kind.type, "createdAt": now_ms()})
        if kind is self._assets:
            http_url(body.get("dataAddress"))
            properties = body.get("properties", {})
            if not isinstance(properties, Mapping):
                raise EdcApiError(400, "properties must be an object", "ValidationFailure", "properties")
        elif kind is self._policies:
            parse_policy(body.get("policy"), ident=ident)
        else:
            for name in ("accessPolicyId", "contractPolicyId"):
                if not isinstance(body.get(name), str) or not body[name]:
                    raise EdcApiError(400, f"a ContractDefinition needs {name}", "ValidationFailure", name)
        return record

    # -- publishing ----------------------------------------------------------------------------------------

    def _offers_for(self, asset_id: str, asset_ids: list[str]) -> tuple[Offer, ...]:
        offers: list[Offer] = []
        for definition in self._contracts.records.values():
            policy = self._policies.records.get(definition["contractPolicyId"])
            if policy is None or definition["accessPolicyId"] not in self._policies.records:
                continue
            if asset_id not in selected_assets(definition.get("assetsSelector"), asset_ids):
                continue
            ident = offer_id(definition["@id"], asset_id, definition["contractPolicyId"])
            offers.append(parse_policy(policy.get("policy"), ident=ident))
        return tuple(offers)

    def _republish(self) -> None:
        """Bring the provider connector in line with the resources (called under the lock)."""
        asset_ids = list(self._assets.records)
        wanted: set[str] = set()
        for asset_id, asset in self._assets.records.items():
            offers = self._offers_for(asset_id, asset_ids)
            if not offers:
                continue
            dataset = build_dataset(
                asset_id, asset.get("properties") or {}, asset["dataAddress"], offers, self._http
            )
            self._connector.add_dataset(dataset)
            wanted.add(asset_id)
        for gone in self._published - wanted:
            self._connector.remove_dataset(gone)
        self._published = wanted


def _with_context(record: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    context: Any = dict(V3_CONTEXT) if dialect == "edc-v3" else list(V4_CONTEXT)
    return {"@context": context, **record}
