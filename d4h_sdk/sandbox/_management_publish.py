"""Turn what a provider created through the Management API (asset + policy + contract) into a SandboxDataset.

* offers: one per contract definition selecting the asset, from its contract policy; the offer ``@id`` is
  stable and EDC-like: ``base64(contract definition id):base64(asset id):base64(policy id)``;
* HealthDCAT-AP: read from the asset properties through :func:`d4h_sdk.health.health_view` when they carry
  HealthDCAT-AP terms, else a minimal health dataset with the asset's title and description;
* data: the asset's ``dataAddress`` of type ``HttpData``: a payload streaming ``baseUrl`` (plus ``path``)
  through :meth:`d4h_sdk._http.HttpClient.stream` at download time.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError, D4HError
from d4h_sdk.health import AccessRights, HealthDataset, HealthDatasetBuilder, health_view
from d4h_sdk.models import Dataset, Offer
from d4h_sdk.sandbox._management_common import EdcApiError, plain_policy
from d4h_sdk.sandbox.synthetic import DATASET_IRI_BASE, Payload, SandboxDataset
from d4h_sdk.wire._terms import EDC

__all__ = ["build_dataset", "http_url", "offer_id", "parse_policy", "selected_assets"]

_TITLE_KEYS = ("name", EDC + "name", "http://purl.org/dc/terms/title", "dct:title", "title")
_DESCRIPTION_KEYS = (
    "description",
    EDC + "description",
    "http://purl.org/dc/terms/description",
    "dct:description",
)
_MEDIA_KEYS = ("contenttype", "contentType", EDC + "contenttype", EDC + "contentType")
_ID_OPERANDS = frozenset({"id", "@id", "edc:id", "assetId", EDC + "id", "https://w3id.org/edc/v0.0.1/ns/id"})
_DEFAULT_MEDIA = "application/octet-stream"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def offer_id(contract_definition_id: str, asset_id: str, policy_id: str) -> str:
    """A stable offer id in EDC's shape (three base64 parts joined by ``:``)."""
    return ":".join(_b64(part) for part in (contract_definition_id, asset_id, policy_id))


def parse_policy(policy: Any, *, ident: str = "policy") -> Offer:
    """Read the ``policy`` of a policy definition (ODRL ``Set`` in EDC's compactions) as an offer.

    Raises:
        EdcApiError: 400 ``ValidationFailure`` when it is not an ODRL policy.
    """
    if not isinstance(policy, Mapping):
        raise EdcApiError(400, "policy must be an ODRL policy object", "ValidationFailure", "policy")
    body = plain_policy(policy)
    body = {k: v for k, v in body.items() if k not in ("@type", "@id", "target", "assigner", "assignee")}
    try:
        return Offer.model_validate({**body, "@id": ident, "@type": "Offer"})
    except ValueError as exc:
        raise EdcApiError(
            400, f"policy is not a valid ODRL policy: {exc}", "ValidationFailure", "policy"
        ) from exc


def selected_assets(selector: Any, asset_ids: list[str]) -> list[str]:
    """The asset ids a contract definition's ``assetsSelector`` selects (empty selector: every asset)."""
    criteria = selector if isinstance(selector, list) else ([selector] if selector else [])
    selected = list(asset_ids)
    for criterion in criteria:
        if not isinstance(criterion, Mapping):
            continue
        left = criterion.get("operandLeft", criterion.get(EDC + "operandLeft"))
        operator = str(criterion.get("operator", criterion.get(EDC + "operator", "=")))
        right = criterion.get("operandRight", criterion.get(EDC + "operandRight"))
        if left not in _ID_OPERANDS:
            return []  # the sandbox selects by asset id only
        options = [str(item) for item in right] if isinstance(right, list) else [str(right)]
        if operator == "=" and len(options) == 1:
            selected = [a for a in selected if a == options[0]]
        elif operator == "in":
            selected = [a for a in selected if a in options]
        else:
            return []
    return selected


def _first_text(properties: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = properties.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, Mapping):
            value = value.get("@value")
        if isinstance(value, str) and value:
            return value
    return None


def _health(asset_id: str, properties: Mapping[str, Any]) -> HealthDataset:
    try:
        view = health_view(Dataset.model_validate({**properties, "@id": asset_id}))
    except (D4HError, ValueError):
        view = None
    if view is not None:
        return view.model_copy(update={"id": DATASET_IRI_BASE + asset_id})
    title = _first_text(properties, _TITLE_KEYS) or asset_id
    description = (
        _first_text(properties, _DESCRIPTION_KEYS) or f"Asset {asset_id} published via the management API"
    )
    return (
        HealthDatasetBuilder(DATASET_IRI_BASE + asset_id, title=title, description=description)
        .set(access_rights=AccessRights.PUBLIC)
        .build()
    )


def http_url(address: Any) -> str:
    """The URL an ``HttpData`` data address reads from (``baseUrl`` plus ``path``).

    Raises:
        EdcApiError: 400 unless it is ``HttpData`` with an http(s) ``baseUrl``.
    """
    if not isinstance(address, Mapping):
        raise EdcApiError(400, "an asset needs a dataAddress object", "ValidationFailure", "dataAddress")
    base = address.get("baseUrl")
    if (
        address.get("type") != "HttpData"
        or not isinstance(base, str)
        or not base.startswith(("http://", "https://"))
    ):
        raise EdcApiError(
            400,
            "the sandbox serves only dataAddress type 'HttpData' with an http(s) 'baseUrl'",
            "ValidationFailure",
            "dataAddress",
        )
    path = address.get("path")
    return base.rstrip("/") + "/" + path.lstrip("/") if isinstance(path, str) and path else base


def _http_payload(asset_id: str, address: Mapping[str, Any], media_type: str, http: HttpClient) -> Payload:
    url = http_url(address)

    def source() -> Iterator[bytes]:
        with http.stream("GET", url) as response:
            yield from response.iter_bytes()

    return Payload(asset_id, media_type, source)


def build_dataset(
    asset_id: str,
    properties: Mapping[str, Any],
    data_address: Mapping[str, Any],
    offers: tuple[Offer, ...],
    http: HttpClient,
) -> SandboxDataset:
    """The SandboxDataset the provider connector publishes for an asset and its offers.

    Raises:
        ConfigurationError: The asset properties cannot be read as a health dataset.
    """
    if not offers:
        raise ConfigurationError(f"asset {asset_id!r} has no offer to publish")
    health = _health(asset_id, properties)
    media = _first_text(properties, _MEDIA_KEYS) or _first_text(data_address, _MEDIA_KEYS) or _DEFAULT_MEDIA
    title = next(iter(health.title), None) if health.title else None
    description = next(iter(health.description), None) if health.description else None
    return SandboxDataset(
        id=asset_id,
        title=_text(title) or asset_id,
        description=_text(description) or "",
        access_rights=_access(health.access_rights),
        health=health,
        offers=offers,
        payloads=(_http_payload(asset_id, data_address, media, http),),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _access(value: Any) -> AccessRights:
    try:
        return AccessRights(value)
    except ValueError:
        return AccessRights.PUBLIC
