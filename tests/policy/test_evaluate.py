from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.models import Constraint, Offer, Permission, Prohibition
from d4h_sdk.policy import (
    EDC,
    Evaluator,
    Outcome,
    PolicyBuilder,
    ai_training,
    constraint,
    duo,
    evaluate,
    operands,
    purposes,
    research,
    statistics_request,
)
from d4h_sdk.wire import decode

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
MEMBER = {"membershipStatus": "active", "euEeaStatus": "eu-member-state"}


def _offer(*items: Any) -> Offer:
    return PolicyBuilder().add(*items).offer("urn:offer:t")


def _one(left: str, op: str, right: Any, claims: dict[str, Any], purpose: str | None = None) -> Outcome:
    offer = Offer(
        id="urn:o",
        permission=(
            Permission(
                action="use", constraint=(Constraint(left_operand=left, operator=op, right_operand=right),)
            ),
        ),
    )
    return evaluate(offer, claims=claims, purpose=purpose, now=NOW).outcome


P, X, U = Outcome.PERMITTED, Outcome.PROHIBITED, Outcome.UNDECIDED


@pytest.mark.parametrize(
    ("op", "right", "claim", "expected"),
    [
        ("eq", "LU", "LU", P),
        ("eq", "LU", "BE", X),
        ("odrl:eq", "LU", "LU", P),
        ("http://www.w3.org/ns/odrl/2/eq", "LU", "LU", P),
        ("neq", "LU", "BE", P),
        ("neq", "LU", "LU", X),
        ("isAnyOf", ["LU", "BE"], "BE", P),
        ("isAnyOf", ["LU", "BE"], "FR", X),
        ("in", ["LU", "BE"], "LU", P),
        ("isNoneOf", ["LU", "BE"], "FR", P),
        ("isNoneOf", ["LU", "BE"], "LU", X),
        ("isAllOf", ["a", "b"], ["b", "a", "c"], P),
        ("isAllOf", ["a", "b"], ["a"], X),
        ("hasPart", ["a"], ["a", "b"], P),
        ("isPartOf", ["a", "b"], ["a"], P),
        ("isPartOf", ["a"], ["a", "c"], X),
        ("isA", "LU", "LU", P),
        ("eq", "a", ["a", "b"], P),  # a multi-valued claim equals a value it contains
        ("eq", ["a", "b"], ["b", "a"], P),
        ("eq", ["a", "b"], ["a"], X),
        ("lt", {"@value": "5", "@type": "xsd:integer"}, 4, P),
        ("lt", {"@value": "5", "@type": "xsd:integer"}, 5, X),
        ("lteq", {"@value": "5", "@type": "xsd:integer"}, 5, P),
        ("gt", {"@value": "2.5", "@type": "xsd:decimal"}, 3, P),
        ("gteq", "10", "9", X),
        ("gteq", "10", 10.0, P),
        ("lt", "abc", "abd", U),  # strings cannot be ordered
        ("lt", ["1", "2"], 1, U),
        ("term-lteq", "x", "x", U),  # unsupported operator: undecided, never true
        ("eq", {"@list": []}, "x", U),  # no comparable right operand
        ("eq", "true", True, P),
        ("eq", "false", True, X),
        ("eq", [], "x", U),
    ],
)
def test_operators(op: str, right: Any, claim: Any, expected: Outcome) -> None:
    assert _one(EDC + "thing", op, right, {"thing": claim}) is expected


def test_missing_claim_is_undecided_with_reason() -> None:
    decision = evaluate(_offer(constraint(operands.PERMIT_ISSUED, "eq", True)), claims={})
    assert decision.outcome is U
    (node,) = [n for n in decision.explanation.walk() if n.kind == "constraint"]
    assert node.result is None and node.actual is None
    assert "no claim 'permitIssued'" in node.sentence and "cannot be evaluated locally" in node.sentence
    assert decision.reasons == (node.sentence,)


def test_unknown_operand_is_undecided_unless_claimed() -> None:
    offer = _offer(constraint("https://example.org/ns/kAnonymity", "gteq", 5))
    decision = evaluate(offer, claims={})
    assert decision.outcome is U and "unknown operand" in decision.reasons[0]
    assert evaluate(offer, claims={"https://example.org/ns/kAnonymity": 10}).outcome is P


def test_constraint_explanation_fields() -> None:
    decision = evaluate(
        _offer(constraint(operands.JURISDICTION_COUNTRY, "eq", "LU")), claims={"jurisdictionCountry": "BE"}
    )
    node = decision.explanation.children[0].children[0]
    assert (node.left_operand, node.operator, node.expected, node.actual, node.result) == (
        EDC + "jurisdictionCountry",
        "eq",
        "LU",
        "BE",
        False,
    )
    assert node.status == "violated"
    assert node.sentence == "jurisdictionCountry must equal 'LU'; the requester has 'BE': violated"
    assert decision.outcome is X and decision.reasons == (node.sentence,)
    assert "[violated] jurisdictionCountry" in decision.explain()


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (purposes.SCIENTIFIC_RESEARCH, P),
        (purposes.AI_TRAINING, P),  # (e)(ii) algorithm kind -> (e)(ii) -> (e)
        (purposes.PRODUCT_DEVELOPMENT, P),
        (purposes.EDUCATION, X),
        (purposes.PUBLIC_INTEREST_HEALTH, X),
        (None, U),
    ],
)
def test_purpose_hierarchy(declared: Any, expected: Outcome) -> None:
    offer = _offer(constraint(operands.PURPOSE, "isAnyOf", [purposes.SCIENTIFIC_RESEARCH]))
    assert evaluate(offer, purpose=declared).outcome is expected


def test_parent_purpose_does_not_satisfy_a_narrower_offer() -> None:
    offer = _offer(constraint(operands.PURPOSE, "isA", purposes.AI_TRAINING))
    assert evaluate(offer, purpose=purposes.SCIENTIFIC_RESEARCH).outcome is X
    assert evaluate(offer, purpose=purposes.AI_TRAINING).outcome is P


def test_duo_hierarchy_and_compact_purposes() -> None:
    offer = _offer(constraint(operands.PURPOSE, "isA", duo.GRU))
    assert evaluate(offer, purpose=duo.DS).outcome is P
    assert evaluate(offer, purpose="DUO:0000006").outcome is P
    assert evaluate(offer, purpose=duo.CC).outcome is X
    assert evaluate(offer, purpose=purposes.SCIENTIFIC_RESEARCH).outcome is X  # no cross-vocabulary match
    assert evaluate(_offer(constraint(operands.PURPOSE, "isNoneOf", [duo.HMB])), purpose=duo.DS).outcome is X
    claimed = evaluate(
        _offer(constraint(operands.PURPOSE, "isA", duo.GRU)), claims={"purpose": "DUO:0000007"}
    )
    assert claimed.outcome is P


def test_art54_purpose_is_always_prohibited_with_article() -> None:
    permissive = PolicyBuilder().offer("urn:o")  # unconditional permission
    decision = evaluate(permissive, purpose=purposes.ADVERTISING)
    assert decision.outcome is X
    assert decision.reasons == (
        "the declared purpose is prohibited by EHDS Art 54(c): Advertising or marketing",
    )
    assert decision.explanation.children[0].kind == "purpose"
    assert evaluate(permissive, purpose=purposes.HARMFUL_PRODUCTS.iri).outcome is X
    assert evaluate(permissive, purpose=purposes.SCIENTIFIC_RESEARCH).outcome is P


def test_offer_prohibition_applies() -> None:
    offer = PolicyBuilder().prohibit_purposes(purposes.EDUCATION).offer("urn:o")
    assert evaluate(offer, purpose=purposes.EDUCATION).outcome is X
    assert evaluate(offer, purpose=purposes.IMPROVE_HEALTHCARE).outcome is P
    undecided = evaluate(offer)  # no purpose: the prohibition may apply
    assert undecided.outcome is U
    assert any("prohibition" in r for r in undecided.reasons)


def test_prohibition_with_other_action_does_not_apply() -> None:
    offer = Offer(
        id="urn:o",
        permission=(Permission(action="use"),),
        prohibition=(Prohibition(action="distribute"),),
    )
    assert evaluate(offer).outcome is P
    assert evaluate(offer, action="odrl:distribute").outcome is X


def test_permission_action_must_cover_request() -> None:
    offer = Offer(id="urn:o", permission=(Permission(action="read"),))
    assert evaluate(offer).outcome is X
    assert evaluate(offer, action="read").outcome is P
    assert "does not cover" in evaluate(offer).reasons[0]


def test_no_permission_is_prohibited() -> None:
    offer = Offer(
        id="urn:o",
        prohibition=(
            Prohibition(action="use", constraint=(constraint(operands.PURPOSE, "eq", purposes.EDUCATION),)),
        ),
    )
    decision = evaluate(offer, purpose=purposes.SCIENTIFIC_RESEARCH)
    assert decision.outcome is X and "grants no permission" in decision.explanation.sentence


def test_any_permission_suffices() -> None:
    offer = Offer(
        id="urn:o",
        permission=(
            Permission(action="use", constraint=(constraint(operands.JURISDICTION_COUNTRY, "eq", "LU"),)),
            Permission(action="use", constraint=(constraint(operands.JURISDICTION_COUNTRY, "eq", "BE"),)),
        ),
    )
    assert evaluate(offer, claims={"jurisdictionCountry": "BE"}).outcome is P
    assert evaluate(offer, claims={"jurisdictionCountry": "FR"}).outcome is X


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"dacApproval": True}, P),
        ({"permitIssued": "true"}, P),
        ({"dacApproval": False, "permitIssued": False}, X),
        ({"dacApproval": False}, U),
        ({}, U),
    ],
)
def test_or_gate(claims: dict[str, Any], expected: Outcome) -> None:
    assert evaluate(PolicyBuilder().dac_or_permit().offer("urn:o"), claims=claims).outcome is expected


def _logical(kind: str, *items: Constraint) -> Offer:
    from d4h_sdk.models import LogicalConstraint

    field = {"and": "and_", "or": "or_", "xone": "xone", "andSequence": "and_sequence"}[kind]
    return _offer(LogicalConstraint(**{field: items}))


A = constraint("a", "eq", "1")
B = constraint("b", "eq", "1")


@pytest.mark.parametrize(
    ("kind", "claims", "expected"),
    [
        ("and", {"a": "1", "b": "1"}, P),
        ("and", {"a": "1", "b": "0"}, X),
        ("and", {"a": "0"}, X),  # false wins over undecided
        ("and", {"a": "1"}, U),
        ("andSequence", {"a": "1", "b": "1"}, P),
        ("andSequence", {"a": "1", "b": "2"}, X),
        ("or", {"a": "0", "b": "1"}, P),
        ("or", {"a": "0", "b": "0"}, X),
        ("or", {"a": "1"}, P),  # true wins over undecided
        ("or", {"a": "0"}, U),
        ("xone", {"a": "1", "b": "0"}, P),
        ("xone", {"a": "1", "b": "1"}, X),
        ("xone", {"a": "0", "b": "0"}, X),
        ("xone", {"a": "1"}, U),
    ],
)
def test_logical_constraints(kind: str, claims: dict[str, str], expected: Outcome) -> None:
    decision = evaluate(_logical(kind, A, B), claims=claims)
    assert decision.outcome is expected
    assert decision.explanation.result == {P: True, X: False, U: None}[expected]
    assert decision.explanation.children[0].children[0].kind == kind


def test_date_time_against_clock() -> None:
    end = datetime(2031, 1, 1, tzinfo=timezone.utc)
    offer = research().valid_until(end).offer("urn:o")
    claims = {**MEMBER, "permitIssued": True}
    assert evaluate(offer, claims=claims, purpose=purposes.SCIENTIFIC_RESEARCH, now=NOW).outcome is P
    late = evaluate(
        offer, claims=claims, purpose=purposes.SCIENTIFIC_RESEARCH, now=end + timedelta(seconds=1)
    )
    assert late.outcome is X
    assert any("dateTime must be at most" in r for r in late.reasons)
    naive = evaluate(offer, claims=claims, purpose=purposes.SCIENTIFIC_RESEARCH, now=datetime(2030, 1, 1))
    assert naive.outcome is P


def test_duties_are_reported_as_obligations() -> None:
    end = datetime(2031, 1, 1, tzinfo=timezone.utc)
    offer = research(gate="permit").valid_until(end).offer("urn:o")
    decision = evaluate(
        offer, claims={**MEMBER, "permitIssued": True}, purpose=purposes.SCIENTIFIC_RESEARCH, now=NOW
    )
    assert decision.permitted
    (duty,) = decision.obligations
    assert duty.kind == "duty" and duty.result is None and "delete" in duty.sentence
    assert duty.children[0].left_operand == operands.DATE_TIME.iri


def test_templates_end_to_end() -> None:
    claims = {
        **MEMBER,
        "organizationOwnershipType": "public",
        "dacApproval": True,
        "processingEnvironment": "spe",
    }
    assert evaluate(ai_training().offer("urn:o"), claims=claims, purpose=purposes.AI_TRAINING).permitted
    private = {**claims, "organizationOwnershipType": "private"}
    assert evaluate(ai_training().offer("urn:o"), claims=private, purpose=purposes.AI_TRAINING).outcome is X
    stats = statistics_request().offer("urn:o")
    assert evaluate(
        stats, claims={**MEMBER, "dataFormat": "statistical"}, purpose=purposes.SCIENTIFIC_RESEARCH
    ).permitted
    assert (
        evaluate(
            stats, claims={**MEMBER, "dataFormat": "pseudonymised"}, purpose=purposes.SCIENTIFIC_RESEARCH
        ).outcome
        is X
    )


def test_edc_decoded_offer_with_bare_operands() -> None:
    raw = {
        "@context": {"@vocab": "https://w3id.org/edc/v0.0.1/ns/", "odrl": "http://www.w3.org/ns/odrl/2/"},
        "@type": "odrl:Offer",
        "@id": "offer-1",
        "odrl:permission": {
            "odrl:action": {"@id": "odrl:use"},
            "odrl:constraint": {
                "odrl:leftOperand": {"@id": "membershipStatus"},
                "odrl:operator": {"@id": "odrl:eq"},
                "odrl:rightOperand": "active",
            },
        },
    }
    offer = decode(raw, dialect="edc-v3")
    assert isinstance(offer, Offer)
    assert evaluate(offer, claims={"edc:membershipStatus": "active"}).outcome is P
    assert evaluate(offer, claims={"membershipStatus": "inactive"}).outcome is X


def test_dict_and_rule_inputs() -> None:
    doc = {
        "@id": "urn:o",
        "@type": "Offer",
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "odrl:purpose",
                        "operator": "isA",
                        "rightOperand": {"@id": purposes.EDUCATION.iri},
                    }
                ],
            }
        ],
    }
    assert evaluate(doc, purpose=purposes.EDUCATION).outcome is P
    perm = Permission(action="use", constraint=(constraint(operands.MEMBERSHIP_STATUS, "eq", "active"),))
    assert evaluate(perm, claims={"membershipStatus": "active"}).outcome is P
    prohibition = Prohibition(action="use")
    assert evaluate(prohibition).outcome is X


def test_bad_inputs_raise_sdk_errors() -> None:
    with pytest.raises(DecodeError):
        evaluate({"permission": "nope"})
    with pytest.raises(ConfigurationError):
        evaluate(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        evaluate(_offer(), claims=["membershipStatus"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        evaluate(_offer(), purpose=3)  # type: ignore[arg-type]


def test_evaluator_reuse_is_consistent() -> None:
    evaluator = Evaluator(claims={"jurisdictionCountry": "LU"}, now=NOW)
    lu = _offer(constraint(operands.JURISDICTION_COUNTRY, "eq", "LU"))
    be = _offer(constraint(operands.JURISDICTION_COUNTRY, "eq", "BE"))
    for _ in range(3):
        assert evaluator.evaluate(lu).outcome is P
        assert evaluator.evaluate(be).outcome is X
    assert repr(evaluator.evaluate(lu)) == "Decision(outcome='permitted')"


def test_prohibition_explanation_uses_condition_wording() -> None:
    offer = PolicyBuilder().prohibit_purposes(purposes.EDUCATION).offer("urn:o")
    node = evaluate(offer, purpose=purposes.SCIENTIFIC_RESEARCH).explanation.children[0]
    assert node.kind == "prohibition" and node.result is False
    assert node.sentence == "prohibition of use: does not apply"
    assert node.children[0].sentence == (
        "when purpose is any of [ImproveHealthcareEducation]; the requester has HealthcareScientificResearch: does not hold"
    )
