from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models import ContractRequestMessage, Dataset, Offer
from d4h_sdk.policy import (
    PolicyBuilder,
    ai_training,
    constraint,
    ds4h_baseline,
    lint,
    operands,
    public_sector,
    purposes,
    research,
    statistics_request,
)
from d4h_sdk.wire import decode, encode

TEMPLATES: dict[str, Callable[[], PolicyBuilder]] = {
    "baseline": ds4h_baseline,
    "research": research,
    "research-permit": lambda: research(gate="permit"),
    "research-dac": lambda: research(gate="dac"),
    "statistics": statistics_request,
    "ai": ai_training,
    "public-sector": public_sector,
    "until": lambda: research().valid_until(datetime(2031, 1, 1, tzinfo=timezone.utc)),
}


def _request(offer: Offer) -> ContractRequestMessage:
    return ContractRequestMessage(
        consumer_pid="urn:uuid:c1", offer=offer, callback_address="https://consumer/cb"
    )


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_validates_against_official_2025_1_schema(name: str, shared_fixtures: Path) -> None:
    from wire._schemas import schema_errors

    offer = TEMPLATES[name]().offer("urn:offer:1", target="urn:dataset:1", assigner="did:web:hrs.lu")
    doc = encode(_request(offer), dialect="dsp-2025-1")
    assert schema_errors("2025-1", "ContractRequestMessage", doc) == []
    parsed = decode(doc)
    assert isinstance(parsed, ContractRequestMessage) and parsed.offer == offer


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_lint_without_errors(name: str) -> None:
    offer = TEMPLATES[name]().offer("urn:offer:1")
    assert [i for i in lint(offer) if i.severity != "info"] == []


def test_research_wire_form() -> None:
    offer = research().offer("urn:offer:1", target="urn:dataset:1")
    doc = encode(_request(offer), dialect="dsp-2025-1")["offer"]
    assert doc["@type"] == "Offer" and doc["target"] == "urn:dataset:1"
    items = doc["permission"][0]["constraint"]
    assert items[0] == {
        "leftOperand": "https://w3id.org/edc/v0.0.1/ns/membershipStatus",
        "operator": "eq",
        "rightOperand": "active",
    }
    assert items[2] == {
        "leftOperand": "odrl:purpose",
        "operator": "isAnyOf",
        "rightOperand": [{"@id": "https://w3id.org/dpv/legal/eu/ehds#HealthcareScientificResearch"}],
    }
    assert items[3]["or"][0]["rightOperand"] == "true"
    banned = doc["prohibition"][0]["constraint"][0]["rightOperand"]
    assert [ref["@id"] for ref in banned] == [p.iri for p in purposes.prohibited]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_catalog_offer_validates_in_a_dataset(name: str, shared_fixtures: Path) -> None:
    from wire._schemas import load_json, schema_errors

    example = load_json(shared_fixtures / "dsp/2025-1-patched-refs/examples/catalog/dataset.json")
    offer = TEMPLATES[name]().offer("urn:offer:1")  # no target: a catalog offer must not have one
    parsed = decode(example)
    assert isinstance(parsed, Dataset)
    dataset = parsed.model_copy(update={"has_policy": (offer,)})
    doc = encode(dataset, dialect="dsp-2025-1")
    assert schema_errors("2025-1", "Dataset", doc) == []
    with_target = {**doc, "hasPolicy": [{**doc["hasPolicy"][0], "target": "urn:dataset:1"}]}
    assert schema_errors("2025-1", "Dataset", with_target) != []


def test_baseline_parameters() -> None:
    offer = ds4h_baseline(jurisdiction="BE").offer("urn:o")
    rights = [c.right_operand for c in offer.permission[0].constraint]  # type: ignore[union-attr]
    assert rights == ["active", "research-organization", "BE"]


def test_valid_until_adds_date_and_delete_duty() -> None:
    end = datetime(2031, 1, 1, tzinfo=timezone.utc)
    perm = research().valid_until(end).permission()
    last = perm.constraint[-1]
    assert last.right_operand == {"@value": "2031-01-01T00:00:00Z", "@type": "xsd:dateTime"}  # type: ignore[union-attr]
    assert perm.duty[0].action == "odrl:delete"


def test_builder_numbers_and_custom_operands() -> None:
    built = PolicyBuilder().require("https://example.org/ns/kAnonymity", 5, operator="gteq").permission()
    assert built.constraint[0].right_operand == {"@value": "5", "@type": "xsd:integer"}  # type: ignore[union-attr]
    assert constraint(operands.PURPOSE, "isA", "eu-ehds:ImproveHealthcare").right_operand == {
        "@id": purposes.IMPROVE_HEALTHCARE.iri
    }


def test_builder_rejects_mistakes() -> None:
    with pytest.raises(ConfigurationError, match="Art 54"):
        PolicyBuilder().purposes(purposes.ADVERTISING)
    with pytest.raises(ConfigurationError, match="at least one"):
        PolicyBuilder().purposes()
    with pytest.raises(ConfigurationError, match="unknown operator"):
        constraint(operands.MEMBERSHIP_STATUS, "equals", "active")
    with pytest.raises(ConfigurationError, match="gate"):
        research(gate="maybe")
    with pytest.raises(ConfigurationError, match="not reserved"):
        public_sector(allowed=(purposes.SCIENTIFIC_RESEARCH,))
