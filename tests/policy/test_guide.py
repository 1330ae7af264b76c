"""The guide shows real output: its explanation and lint listings are what the code prints."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from d4h_sdk.models import Offer
from d4h_sdk.policy import evaluate, lint, operands, purposes, research

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "purpose-and-policy.md"


def test_guide_explanation_is_current() -> None:
    offer = (
        research(gate="dac_or_permit")
        .require(operands.JURISDICTION_COUNTRY, "LU")
        .valid_until(datetime(2031, 12, 31, tzinfo=timezone.utc))
        .offer("urn:offer:diabetes-1", target="urn:dataset:diabetes", assigner="did:web:hospital.lu")
    )
    claims = {
        "membershipStatus": "active",
        "euEeaStatus": "eu-member-state",
        "jurisdictionCountry": "LU",
        "permitIssued": True,
    }
    decision = evaluate(
        offer, claims=claims, purpose=purposes.AI_TRAINING, now=datetime(2030, 6, 1, tzinfo=timezone.utc)
    )
    assert decision.permitted
    assert decision.explain() in GUIDE.read_text(encoding="utf-8")


def test_guide_lint_listing_is_current() -> None:
    bad = Offer.model_validate(
        {
            "@id": "urn:o",
            "permission": [
                {
                    "action": "use",
                    "constraint": [
                        {
                            "leftOperand": "odrl:purpose",
                            "operator": "eq",
                            "rightOperand": "Art 53(1)(c) scientific research",
                        },
                        {
                            "leftOperand": "https://w3id.org/edc/v0.0.1/ns/jurisdictionCountry",
                            "operator": "eq",
                            "rightOperand": "LU",
                        },
                        {
                            "leftOperand": "https://w3id.org/edc/v0.0.1/ns/jurisdictionCountry",
                            "operator": "eq",
                            "rightOperand": "BE",
                        },
                        {
                            "leftOperand": "https://w3id.org/edc/v0.0.1/ns/ehdsPurpose",
                            "operator": "eq",
                            "rightOperand": "research",
                        },
                    ],
                }
            ],
        }
    )
    listing = "\n".join(str(issue) for issue in lint(bad))
    assert listing in GUIDE.read_text(encoding="utf-8")
