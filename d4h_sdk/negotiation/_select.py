"""Offer selection: which offer of a dataset to request for a declared purpose and claims (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import ConfigurationError, PolicyMismatchError
from d4h_sdk.models import Dataset, Offer
from d4h_sdk.models.policy import Constraint, Permission
from d4h_sdk.policy import Purpose

__all__ = ["PurposeLike", "declare_purpose", "purpose_iri", "requested_offer", "select_offer"]

PurposeLike = Purpose | str
"""A purpose: a :class:`~d4h_sdk.policy.Purpose` from :mod:`d4h_sdk.purposes` or an IRI."""


def purpose_iri(purpose: PurposeLike) -> str:
    """The IRI of a purpose.

    Raises:
        ConfigurationError: Neither a :class:`Purpose` nor a non-empty string.
    """
    if isinstance(purpose, Purpose):
        return purpose.iri
    if isinstance(purpose, str) and purpose:
        return purpose
    raise ConfigurationError(f"purpose must be a d4h_sdk.purposes entry or an IRI, got {purpose!r}")


def _mentions_purpose(offer: Offer) -> bool:
    text = offer.model_dump_json(by_alias=True)
    return "purpose" in text.lower()


def select_offer(dataset: Dataset, *, purpose: PurposeLike | None, claims: Mapping[str, Any] | None) -> Offer:
    """The first offer of ``dataset`` that permits ``purpose`` for a participant with ``claims``.

    Without a purpose, the first offer is taken (the provider decides). An offer the local evaluator permits
    wins; failing that, the first offer it cannot decide (a claim it does not have, e.g. a data permit):
    the provider has the last word.

    Args:
        dataset: The dataset, with its offers.
        purpose: The declared purpose, or ``None``.
        claims: The participant's claims (membership, organisation...), or ``None``.

    Returns:
        The offer to request.

    Raises:
        PolicyMismatchError: No offer is compatible (with one explanation per offer), or there is no offer.
    """
    offers = list(dataset.offers)
    if not offers:
        raise PolicyMismatchError(dataset.id or "?", {})
    if purpose is None:
        return offers[0]
    from d4h_sdk.policy import Outcome, evaluate

    explanations: dict[str, str] = {}
    undecided: Offer | None = None
    for offer in offers:
        decision = evaluate(offer, claims=dict(claims or {}), purpose=purpose_iri(purpose))
        if decision.outcome is Outcome.PERMITTED:
            return offer
        if decision.outcome is Outcome.UNDECIDED:
            undecided = undecided or offer
        else:
            explanations[offer.id or f"#{len(explanations)}"] = decision.explain()
    if undecided is not None:
        return undecided
    raise PolicyMismatchError(dataset.id or "?", explanations)


def declare_purpose(offer: Offer, purpose: PurposeLike) -> Offer:
    """A copy of ``offer`` whose first permission also states ``odrl:purpose eq <purpose>``.

    This is how a DS4H consumer declares its purpose in a contract request. Offers that say nothing about
    purposes are returned unchanged (a connector such as EDC expects the provider's policy back as it was).
    """
    if not offer.permission or not _mentions_purpose(offer):
        return offer
    first = offer.permission[0]
    declared = Constraint(
        left_operand="odrl:purpose", operator="eq", right_operand={"@id": purpose_iri(purpose)}
    )
    permission: Permission = first.model_copy(update={"constraint": (*first.constraint, declared)})
    return offer.model_copy(update={"permission": (permission, *offer.permission[1:])})


def requested_offer(
    offer: Offer, *, dataset_id: str, provider_id: str | None, purpose: PurposeLike | None
) -> Offer:
    """The offer as sent: ``target`` the dataset, ``assigner`` the provider, the purpose declared.

    Raises:
        ConfigurationError: ``dataset_id`` is empty.
    """
    if not dataset_id:
        raise ConfigurationError("the dataset id of the requested offer is empty")
    update: dict[str, Any] = {"target": dataset_id}
    if provider_id is not None:
        update["assigner"] = provider_id
    requested = offer.model_copy(update=update)
    return declare_purpose(requested, purpose) if purpose is not None else requested
