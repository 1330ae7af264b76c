"""Bodies of EDC's provider-side resources (asset, policy definition, contract definition), built here.

:mod:`d4h_sdk.models` has no models for these three, so they are written as JSON-LD with EDC's rules:

* the body's ``@context`` is the version's (:attr:`ApiProfile.context`: ``{"@vocab": EDC}`` for v3, the
  management v2 context array for v4), types are short terms (``Asset``, ``PolicyDefinition``,
  ``ContractDefinition``, ``DataAddress``, ``Criterion``);
* asset ``properties`` and ``dataAddress`` are written as given: unprefixed keys land in EDC's namespace
  (``name`` -> ``edc:name``, ``baseUrl`` -> ``edc:baseUrl``), absolute IRIs stay as they are;
* the policy of a policy definition is an ODRL ``Set`` without ``@id``, ``target`` or ``assigner`` (EDC sets
  the target per asset when it builds catalog offers); under v3 it carries the ODRL context
  ``http://www.w3.org/ns/odrl.jsonld`` so its terms do not fall into EDC's ``@vocab``;
* the contract definition selects the asset by ``https://w3id.org/edc/v0.0.1/ns/id = <asset id>``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from d4h_sdk.connectors._edc_api import ApiProfile, field
from d4h_sdk.connectors._edc_client import EdcClient, segment
from d4h_sdk.connectors._types import Publication, PublishedAsset
from d4h_sdk.errors import D4HError
from d4h_sdk.models._base import canonical_dict
from d4h_sdk.models.policy import Offer
from d4h_sdk.wire._terms import EDC

__all__ = [
    "ASSET_ID_OPERAND",
    "access_policy_id",
    "asset_body",
    "contract_definition_body",
    "list_published",
    "policy_definition_body",
    "publish",
    "published_from",
    "unpublish",
]

logger = logging.getLogger("d4h_sdk.connectors.edc")

ASSET_ID_OPERAND = EDC + "id"
"""The left operand of the contract definition's asset selector."""

_ASSET_ID_OPERANDS = frozenset({ASSET_ID_OPERAND, "id", "edc:id", "@id", "https://w3id.org/edc/v0.0.1/ns/id"})
_POLICY_DROP = ("@id", "target", "assigner", "assignee")


def access_policy_id(publication: Publication) -> str:
    """The id of the access policy definition: the contract policy's id when there is one policy."""
    access = publication.access_policy
    if access is None or access == publication.contract_policy:
        return publication.policy_id
    return f"{publication.policy_id}-access"


def asset_body(profile: ApiProfile, publication: Publication) -> dict[str, Any]:
    """The ``POST <prefix>/assets`` body of a publication."""
    return {
        "@context": profile.context,
        "@type": "Asset",
        "@id": publication.asset_id,
        "properties": dict(publication.properties),
        "dataAddress": {"@type": "DataAddress", **dict(publication.data_address)},
    }


def policy_definition_body(profile: ApiProfile, policy_id: str, offer: Offer) -> dict[str, Any]:
    """The ``POST <prefix>/policydefinitions`` body: the offer's rules as an ODRL ``Set``."""
    rules = {key: value for key, value in canonical_dict(offer).items() if key not in _POLICY_DROP}
    rules["@type"] = "Set"
    policy: dict[str, Any] = {"@context": profile.policy_context} if profile.policy_context else {}
    policy.update(rules)
    return {"@context": profile.context, "@type": "PolicyDefinition", "@id": policy_id, "policy": policy}


def contract_definition_body(profile: ApiProfile, publication: Publication) -> dict[str, Any]:
    """The ``POST <prefix>/contractdefinitions`` body selecting the publication's asset."""
    return {
        "@context": profile.context,
        "@type": "ContractDefinition",
        "@id": publication.contract_definition_id,
        "accessPolicyId": access_policy_id(publication),
        "contractPolicyId": publication.policy_id,
        "assetsSelector": [
            {
                "@type": "Criterion",
                "operandLeft": ASSET_ID_OPERAND,
                "operator": "=",
                "operandRight": publication.asset_id,
            }
        ],
    }


def _selected_asset(selector: Any) -> str | None:
    criteria = selector if isinstance(selector, list) else [selector]
    for criterion in criteria:
        if not isinstance(criterion, Mapping):
            continue
        left = field(criterion, "operandLeft")
        right = field(criterion, "operandRight")
        operator = field(criterion, "operator")
        if left in _ASSET_ID_OPERANDS and operator in ("=", "in") and right is not None:
            if isinstance(right, list):
                return str(right[0]) if len(right) == 1 else None
            return str(right)
    return None


def published_from(definition: Mapping[str, Any]) -> PublishedAsset | None:
    """Read a contract definition as returned by EDC; ``None`` unless it selects exactly one asset by id."""
    definition_id = definition.get("@id")
    asset_id = _selected_asset(field(definition, "assetsSelector"))
    contract_policy = field(definition, "contractPolicyId")
    access_policy = field(definition, "accessPolicyId")
    if not isinstance(definition_id, str) or asset_id is None or not isinstance(contract_policy, str):
        return None
    return PublishedAsset(
        asset_id=asset_id,
        policy_id=contract_policy,
        access_policy_id=access_policy if isinstance(access_policy, str) else contract_policy,
        contract_definition_id=definition_id,
    )


def publish(client: EdcClient, publication: Publication) -> PublishedAsset:
    """Create asset, policy definition(s) and contract definition; undo the created ones on failure."""
    profile = client.active()
    access_id = access_policy_id(publication)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("assets", asset_body(profile, publication)),
        (
            "policydefinitions",
            policy_definition_body(profile, publication.policy_id, publication.contract_policy),
        ),
    ]
    if access_id != publication.policy_id and publication.access_policy is not None:
        steps.append(
            ("policydefinitions", policy_definition_body(profile, access_id, publication.access_policy))
        )
    steps.append(("contractdefinitions", contract_definition_body(profile, publication)))
    created: list[str] = []
    try:
        for resource, body in steps:
            client.send("POST", f"{profile.prefix}/{resource}", body=body)
            created.append(f"{profile.prefix}/{resource}/{segment(body['@id'])}")
    except D4HError:
        for path in reversed(created):
            try:
                client.send("DELETE", path)
            except D4HError as cleanup:
                logger.warning(
                    "publish of %s: could not delete %s again: %s", publication.asset_id, path, cleanup
                )
        raise
    return PublishedAsset(
        asset_id=publication.asset_id,
        policy_id=publication.policy_id,
        access_policy_id=access_id,
        contract_definition_id=publication.contract_definition_id,
    )


def _definitions(client: EdcClient) -> list[PublishedAsset]:
    found = (published_from(item) for item in client.query_all("contractdefinitions"))
    return [item for item in found if item is not None]


def unpublish(client: EdcClient, asset_id: str) -> None:
    """Delete the asset's contract definitions, their unshared policy definitions, then the asset."""
    prefix = client.active().prefix
    definitions = _definitions(client)
    mine = [item for item in definitions if item.asset_id == asset_id]
    shared = {
        pid
        for item in definitions
        if item.asset_id != asset_id
        for pid in (item.policy_id, item.access_policy_id)
    }
    for item in mine:
        client.send("DELETE", f"{prefix}/contractdefinitions/{segment(item.contract_definition_id)}")
    for policy_id in dict.fromkeys(pid for item in mine for pid in (item.policy_id, item.access_policy_id)):
        if policy_id not in shared:
            client.send("DELETE", f"{prefix}/policydefinitions/{segment(policy_id)}", allow_status=(404,))
    client.send("DELETE", f"{prefix}/assets/{segment(asset_id)}", allow_status=(404,) if mine else ())


def list_published(client: EdcClient) -> list[PublishedAsset]:
    """Contract definitions selecting one existing asset by id."""
    assets = {item.get("@id") for item in client.query_all("assets")}
    return [item for item in _definitions(client) if item.asset_id in assets]
