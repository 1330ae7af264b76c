"""The ``dataset.health`` view: HealthDCAT-AP metadata embedded in a DSP dataset, and the way back.

A connector publishes HealthDCAT-AP properties next to the DCAT ones of a DSP ``Dataset``; the SDK's model
keeps every property it does not name in the dataset's remainder, under whatever key the connector's
compaction produced (``healthdcatap:healthCategory``, an absolute IRI, a bare ``healthCategory``...). The
view reads them through the tolerant HealthDCAT-AP reader, which expands them offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from d4h_sdk.health.healthdcat._jsonld import dataset_node
from d4h_sdk.health.healthdcat._model import HealthDataset
from d4h_sdk.health.healthdcat._normalise import HEALTH, HEALTH_TERMS, normalise_predicate
from d4h_sdk.health.healthdcat._reader import fallback_context, read_healthdcat
from d4h_sdk.health.healthdcat._vocab import NS

if TYPE_CHECKING:
    from d4h_sdk.models import Dataset

__all__ = ["health_view", "to_asset_properties"]

_HEALTH_MARKERS = (HEALTH, NS["dpv"], NS["geodcatap"])
_LOCAL_ID = "urn:d4h:dataset:"


def _expand_key(key: str, prefixes: dict[str, Any]) -> str:
    if key in HEALTH_TERMS:
        return HEALTH + key
    prefix, sep, local = key.partition(":")
    if sep and isinstance(prefixes.get(prefix), str) and not local.startswith("//"):
        return normalise_predicate(prefixes[prefix] + local)
    return normalise_predicate(key)


def _is_health(node: dict[str, Any]) -> bool:
    prefixes = fallback_context()
    return any(
        _expand_key(key, prefixes).startswith(_HEALTH_MARKERS) for key in node if not key.startswith("@")
    )


def health_view(dataset: Dataset) -> HealthDataset | None:
    """Read the HealthDCAT-AP description embedded in a DSP dataset.

    Args:
        dataset: A dataset from any connector's catalog (DSP 2025-1 / 2024-1, EDC).

    Returns:
        The health metadata normalised to R8, or ``None`` when the dataset carries no HealthDCAT-AP,
        DPV or GeoDCAT-AP custodian property. DCAT properties the model names (title, description,
        keywords, themes...) are read too; the DSP distributions (transfer formats) are not HealthDCAT
        distributions and are left out.

    Raises:
        DecodeError: The embedded properties are not valid JSON-LD.
    """
    node: dict[str, Any] = dataset.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not _is_health(node):
        return None
    for key in ("hasPolicy", "distribution", "@context"):
        node.pop(key, None)
    original_id = dataset.id
    subject = original_id if original_id and ":" in original_id else None
    if subject is None:
        subject = _LOCAL_ID + quote(original_id or "unnamed", safe="")
    node["@id"] = subject
    node["@type"] = NS["dcat"] + "Dataset"
    health = read_healthdcat(node, subject=subject)
    return health.model_copy(update={"id": original_id})


def to_asset_properties(health: HealthDataset) -> dict[str, Any]:
    """The HealthDCAT-AP properties of ``health`` for an asset the SDK publishes.

    Keys and nested ``@type`` values are absolute IRIs, so the properties mean the same under any
    ``@context`` a connector adds; :func:`health_view` reads them back from the published dataset.
    ``@id`` and ``@type`` of the dataset itself are left out (the asset has its own).

    Args:
        health: The health dataset description.

    Returns:
        A JSON-serialisable dict to merge into the asset's properties.
    """
    node = dataset_node(health, absolute=True)
    node.pop("@id", None)
    node.pop("@type", None)
    return node
