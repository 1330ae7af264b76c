from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.errors import DecodeError
from d4h_sdk.models import Constraint, LogicalConstraint, Offer, Permission
from d4h_sdk.policy import LintIssue, PolicyBuilder, constraint, lint, operands, purposes


def _offer(*items: Any) -> Offer:
    return Offer(id="urn:o", permission=(Permission(action="use", constraint=items),))


def _raw(left: str, op: str, right: Any) -> Constraint:
    return Constraint(left_operand=left, operator=op, right_operand=right)


def _codes(offer: Offer) -> list[tuple[str, str]]:
    return [(issue.code, issue.severity) for issue in lint(offer)]


def test_clean_offer() -> None:
    assert lint(PolicyBuilder().purposes(purposes.SCIENTIFIC_RESEARCH).offer("urn:o")) == []


def test_free_text_purpose() -> None:
    issues = lint(_offer(_raw("odrl:purpose", "eq", "scientific research")))
    assert [(i.code, i.severity, i.path) for i in issues] == [
        ("free-text-purpose", "error", "permission[0].constraint[0]")
    ]
    assert purposes.SCIENTIFIC_RESEARCH.iri in issues[0].message
    assert str(issues[0]).startswith("error: permission[0].constraint[0]:")


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("Art 53(1)(c) scientific research", "e"),
        ("article 53(1)(e) official statistics", "c"),
        ("urn:ehds:art53-1-a:research", "e"),
        ("Art. 53(1)(e) education", "d"),
    ],
)
def test_wrong_article_letter(text: str, letter: str) -> None:
    issues = lint(_offer(_raw("odrl:purpose", "isAnyOf", [text])))
    wrong = [i for i in issues if i.code == "wrong-article"]
    assert len(wrong) == 1 and wrong[0].severity == "error"
    assert f"Art 53(1)({letter})" in wrong[0].message


def test_right_letter_is_not_flagged_and_missing_letter_is() -> None:
    assert "wrong-article" not in {
        c for c, _ in _codes(_offer(_raw("odrl:purpose", "eq", "Art 53(1)(e) scientific research")))
    }
    issues = lint(_offer(_raw("odrl:purpose", "eq", "Art 53(1)(h) research")))
    assert any(i.code == "wrong-article" and "no letter (h)" in i.message for i in issues)


def test_purpose_iri_checks() -> None:
    assert _codes(
        _offer(_raw("odrl:purpose", "eq", "https://w3id.org/dpv/legal/eu/ehds#ScientificResearch"))
    ) == [
        ("purpose-literal", "warning"),
        ("unknown-purpose", "error"),
    ]
    assert _codes(_offer(_raw("odrl:purpose", "isA", {"@id": "https://example.org/p/Research"}))) == [
        ("custom-purpose", "warning")
    ]
    assert _codes(_offer(_raw("odrl:purpose", "isA", {"@id": "DUO:0000042"}))) == []
    assert _codes(_offer(_raw("odrl:purpose", "isAnyOf", [{"@id": purposes.ADVERTISING.iri}]))) == [
        ("prohibited-purpose", "error")
    ]


def test_art54_in_prohibition_is_fine() -> None:
    assert lint(PolicyBuilder().prohibit_art54().offer("urn:o")) == []


def test_unknown_operand_operator_and_values() -> None:
    assert _codes(_offer(_raw("https://example.org/membership", "eq", "x"))) == [
        ("unknown-operand", "warning")
    ]
    assert _codes(_offer(_raw("odrl:spatial", "eq", "LU"))) == []
    assert _codes(_offer(_raw(operands.MEMBERSHIP_STATUS.iri, "equals", "active"))) == [
        ("unknown-operator", "error")
    ]
    assert _codes(_offer(_raw(operands.MEMBERSHIP_STATUS.iri, "in", ["active"]))) == [
        ("non-dsp-operator", "warning")
    ]
    assert _codes(_offer(_raw(operands.DAC_APPROVAL.iri, "eq", "yes"))) == [("unknown-value", "error")]
    assert _codes(_offer(_raw(operands.MEMBERSHIP_STATUS.iri, "eq", "member"))) == [
        ("unknown-value", "warning")
    ]
    assert _codes(_offer(_raw(operands.JURISDICTION_COUNTRY.iri, "eq", "Luxembourg"))) == [
        ("bad-country", "error")
    ]
    assert _codes(_offer(_raw("", "eq", "x"))) == [("missing-operand", "error")]
    assert _codes(_offer(constraint(operands.DATA_FORMAT, "eq", "statistical"))) == [("not-enforced", "info")]


def test_contradictions_under_and() -> None:
    jc = operands.JURISDICTION_COUNTRY
    assert ("contradiction", "error") in _codes(
        _offer(constraint(jc, "eq", "LU"), constraint(jc, "eq", "BE"))
    )
    assert ("contradiction", "error") in _codes(
        _offer(constraint(jc, "eq", "LU"), constraint(jc, "neq", "LU"))
    )
    assert ("contradiction", "error") in _codes(
        _offer(constraint(jc, "isAnyOf", ["LU", "BE"]), constraint(jc, "isNoneOf", ["LU", "BE"]))
    )
    nested = LogicalConstraint(and_=(constraint(jc, "eq", "LU"), constraint(jc, "eq", "FR")))
    issues = lint(_offer(nested))
    assert [(i.code, i.path) for i in issues] == [("contradiction", "permission[0].constraint[0].and")]
    # the same pair under "or" is fine, and compatible constraints are fine
    assert (
        _codes(_offer(LogicalConstraint(or_=(constraint(jc, "eq", "LU"), constraint(jc, "eq", "BE"))))) == []
    )
    assert _codes(_offer(constraint(jc, "isAnyOf", ["LU", "BE"]), constraint(jc, "neq", "BE"))) == []


def test_unsatisfiable_ranges() -> None:
    k = "https://example.org/ns/k"
    issues = lint(
        _offer(
            _raw(k, "gt", {"@value": "10", "@type": "xsd:integer"}),
            _raw(k, "lt", {"@value": "5", "@type": "xsd:integer"}),
        )
    )
    assert [i.code for i in issues] == ["unknown-operand", "unknown-operand", "empty-range"]
    assert _codes(_offer(_raw(k, "gteq", "5"), _raw(k, "lt", "5")))[-1] == ("empty-range", "error")
    assert "empty-range" not in {c for c, _ in _codes(_offer(_raw(k, "gteq", "5"), _raw(k, "lteq", "5")))}
    dt = operands.DATE_TIME
    early = {"@value": "2030-01-01T00:00:00Z", "@type": "xsd:dateTime"}
    late = {"@value": "2031-01-01T00:00:00Z", "@type": "xsd:dateTime"}
    assert _codes(_offer(_raw(dt.wire, "gteq", late), _raw(dt.wire, "lteq", early))) == [
        ("empty-range", "error")
    ]
    assert _codes(_offer(_raw(dt.wire, "gteq", early), _raw(dt.wire, "lteq", late))) == []


def test_public_sector_only_purposes_need_public_ownership() -> None:
    offer = PolicyBuilder().purposes(purposes.OFFICIAL_STATISTICS).offer("urn:o")
    assert _codes(offer) == [("public-sector-only", "warning")]
    fixed = (
        PolicyBuilder()
        .purposes(purposes.OFFICIAL_STATISTICS)
        .require(operands.ORGANIZATION_OWNERSHIP_TYPE, "public")
    )
    assert lint(fixed.offer("urn:o")) == []


def test_empty_structures() -> None:
    assert _codes(Offer(id="urn:o")) == [("empty-policy", "error")]
    assert _codes(_offer(LogicalConstraint())) == [("empty-logical", "error")]


def test_lint_accepts_dicts_and_rejects_garbage() -> None:
    doc = {
        "@id": "urn:o",
        "permission": [
            {
                "action": "use",
                "constraint": [{"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "research"}],
            }
        ],
    }
    assert [i.code for i in lint(doc)] == ["free-text-purpose"]
    assert isinstance(lint(doc)[0], LintIssue)
    with pytest.raises(DecodeError):
        lint({"permission": 3})
