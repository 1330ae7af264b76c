"""What the sandbox provider publishes: version metadata, and per-requester views of its datasets.

A dataset is visible to a requester when at least one of its offers is permitted or undecided for the
requester's verified claims (evaluated without a purpose: the purpose is declared at negotiation); only those
offers are listed, each with ``assigner`` = the provider DID (DSP 2024-1 requires it) and no ``target``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from d4h_sdk.models.catalog import DataService, Dataset, Distribution
from d4h_sdk.models.policy import Offer
from d4h_sdk.models.version import ProtocolVersion, VersionAuth, VersionResponse
from d4h_sdk.sandbox.synthetic import SandboxDataset

__all__ = ["DSP_VERSIONS", "PULL_FORMAT", "PUSH_FORMAT", "dataset_view", "version_response", "visible_offers"]

DSP_VERSIONS: dict[str, str] = {"2025-1": "dsp-2025-1", "2024-1": "dsp-2024-1"}
"""Served DSP versions (path segment) -> wire dialect."""

PULL_FORMAT = "HttpData-PULL"
"""The distribution format of an HTTP pull transfer (EDC's name)."""

PUSH_FORMAT = "HttpData-PUSH"
"""The distribution format of an HTTP push transfer."""

_DCP_AUTH = VersionAuth(protocol="DCP", version="1.0", profile=("vc11-sl2021/jwt",))


def version_response() -> VersionResponse:
    """The ``/.well-known/dspace-version`` body: both versions, at ``/<version>``, authenticated by DCP."""
    return VersionResponse(
        protocol_versions=[
            ProtocolVersion(
                version=version,
                path=f"/{version}",
                binding="HTTPS",
                identifier_type="did:web",
                auth=_DCP_AUTH,
            )
            for version in DSP_VERSIONS
        ]
    )


def visible_offers(dataset: SandboxDataset, claims: Mapping[str, Any]) -> tuple[Offer, ...]:
    """The offers of a dataset that the policy evaluation does not prohibit for these claims."""
    from d4h_sdk import policy

    evaluator = policy.Evaluator(claims=claims)
    return tuple(
        offer
        for offer in dataset.offers
        if evaluator.evaluate(offer).outcome is not policy.Outcome.PROHIBITED
    )


def dataset_view(
    dataset: SandboxDataset, offers: Sequence[Offer], *, service: DataService, assigner: str
) -> Dataset:
    """The DSP Dataset: HealthDCAT-AP properties, the given offers, pull and push distributions.

    Args:
        dataset: The published dataset.
        offers: The offers to list (see :func:`visible_offers`).
        service: The DataService the distributions point to (the versioned DSP endpoint).
        assigner: The provider DID, written as each offer's assigner.

    Returns:
        The dataset model.
    """
    return Dataset.model_validate(
        {
            **dataset.properties,
            "@id": dataset.id,
            "hasPolicy": [offer.model_copy(update={"assigner": assigner}) for offer in offers],
            "distribution": [
                Distribution(format=PULL_FORMAT, access_service=service),
                Distribution(format=PUSH_FORMAT, access_service=service),
            ],
        }
    )
