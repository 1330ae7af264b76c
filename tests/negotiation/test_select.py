"""Offer selection for a declared purpose, and the requested offer's shape."""

from __future__ import annotations

import pytest

from d4h_sdk import ConfigurationError, PolicyMismatchError, purposes
from d4h_sdk.models import Dataset, Offer
from d4h_sdk.negotiation import declare_purpose, requested_offer, select_offer
from d4h_sdk.policy import research

CLAIMS = {
    "membershipStatus": "active",
    "organizationType": "research-organisation",
    "euEeaStatus": "eu-member-state",
    "jurisdictionCountry": "LU",
}


def _dataset(*offers: Offer) -> Dataset:
    return Dataset.model_validate(
        {
            "@id": "ds-1",
            "@type": "Dataset",
            "hasPolicy": [o.model_dump(by_alias=True, exclude_none=True) for o in offers],
        }
    )


def test_without_purpose_the_first_offer_is_taken() -> None:
    dataset = _dataset(research().offer("urn:offer:1"), research().offer("urn:offer:2"))
    assert select_offer(dataset, purpose=None, claims=None).id == "urn:offer:1"


def test_prohibited_purpose_raises_with_one_explanation_per_offer() -> None:
    dataset = _dataset(research().offer("urn:offer:1"), research().offer("urn:offer:2"))
    with pytest.raises(PolicyMismatchError) as caught:
        select_offer(dataset, purpose=purposes.ADVERTISING, claims=CLAIMS)
    assert set(caught.value.explanations) == {"urn:offer:1", "urn:offer:2"}
    assert "ds-1" in str(caught.value)


def test_dataset_without_offers_is_a_mismatch() -> None:
    with pytest.raises(PolicyMismatchError, match="no offers"):
        select_offer(_dataset(), purpose=purposes.SCIENTIFIC_RESEARCH, claims=CLAIMS)


def test_research_purpose_selects_a_research_offer() -> None:
    dataset = _dataset(research().offer("urn:offer:1"))
    assert select_offer(dataset, purpose=purposes.SCIENTIFIC_RESEARCH, claims=CLAIMS).id == "urn:offer:1"


def test_requested_offer_sets_target_assigner_and_declares_the_purpose() -> None:
    offer = research().offer("urn:offer:1")
    sent = requested_offer(
        offer, dataset_id="ds-1", provider_id="did:web:hospital.example", purpose=purposes.SCIENTIFIC_RESEARCH
    )
    assert (sent.target, sent.assigner) == ("ds-1", "did:web:hospital.example")
    last = sent.permission[0].constraint[-1]
    assert last.left_operand == "odrl:purpose"
    assert last.right_operand == {"@id": purposes.SCIENTIFIC_RESEARCH.iri}
    assert len(sent.permission[0].constraint) == len(offer.permission[0].constraint) + 1


def test_offer_without_purpose_terms_is_sent_unchanged() -> None:
    plain = Offer.model_validate({"@id": "urn:offer:x", "permission": [{"action": "use"}]})
    assert declare_purpose(plain, purposes.SCIENTIFIC_RESEARCH) == plain


def test_empty_dataset_id_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        requested_offer(research().offer("urn:offer:1"), dataset_id="", provider_id=None, purpose=None)
