"""Property tests of the evaluator: three-valued De Morgan, isAnyOf monotonicity, robustness."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d4h_sdk.errors import D4HError
from d4h_sdk.models import Constraint, LogicalConstraint, Offer, Permission
from d4h_sdk.models._base import validate_model
from d4h_sdk.policy import Evaluator, Outcome, duo, evaluate, lint, purposes

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
OPERANDS = ["https://w3id.org/edc/v0.0.1/ns/a", "https://w3id.org/edc/v0.0.1/ns/b", "odrl:purpose"]
VALUES = ["x", "y", "z"]
PURPOSES = [p.iri for p in purposes.permitted] + [d.iri for d in duo]
NEGATION = {"eq": "neq", "neq": "eq", "isAnyOf": "isNoneOf", "isNoneOf": "isAnyOf"}
FLIP = {
    Outcome.PERMITTED: Outcome.PROHIBITED,
    Outcome.PROHIBITED: Outcome.PERMITTED,
    Outcome.UNDECIDED: Outcome.UNDECIDED,
}


@st.composite
def atomic(draw: st.DrawFn) -> Constraint:
    left = draw(st.sampled_from(OPERANDS))
    op = draw(st.sampled_from(sorted(NEGATION)))
    pool = PURPOSES if left == "odrl:purpose" else VALUES
    if op in ("isAnyOf", "isNoneOf"):
        right: Any = [
            {"@id": v} if left == "odrl:purpose" else v
            for v in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        ]
    else:
        value = draw(st.sampled_from(pool))
        right = {"@id": value} if left == "odrl:purpose" else value
    return Constraint(left_operand=left, operator=op, right_operand=right)


def negate(c: Constraint) -> Constraint:
    return c.model_copy(update={"operator": NEGATION[c.operator or ""]})


claims_strategy = st.fixed_dictionaries(
    {},
    optional={
        "a": st.one_of(st.sampled_from(VALUES), st.lists(st.sampled_from(VALUES), min_size=1, max_size=2)),
        "b": st.sampled_from(VALUES),
    },
)
purpose_strategy = st.one_of(st.none(), st.sampled_from(PURPOSES))


def _offer(*items: Any) -> Offer:
    return Offer(id="urn:o", permission=(Permission(action="use", constraint=items),))


@settings(max_examples=300, deadline=None)
@given(atomic(), atomic(), claims_strategy, purpose_strategy)
def test_de_morgan(a: Constraint, b: Constraint, claims: dict[str, Any], purpose: str | None) -> None:
    ev = Evaluator(claims=claims, purpose=purpose, now=NOW)
    both = ev.evaluate(_offer(LogicalConstraint(and_=(a, b)))).outcome
    either_not = ev.evaluate(_offer(LogicalConstraint(or_=(negate(a), negate(b))))).outcome
    assert either_not is FLIP[both]
    either = ev.evaluate(_offer(LogicalConstraint(or_=(a, b)))).outcome
    neither = ev.evaluate(_offer(LogicalConstraint(and_=(negate(a), negate(b))))).outcome
    assert neither is FLIP[either]
    assert ev.evaluate(_offer(negate(a))).outcome is FLIP[ev.evaluate(_offer(a)).outcome]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(OPERANDS),
    st.lists(st.sampled_from(VALUES + PURPOSES[:6]), min_size=1, max_size=3),
    st.lists(st.sampled_from(VALUES + PURPOSES[:6]), min_size=1, max_size=3),
    st.lists(atomic(), max_size=2),
    claims_strategy,
    purpose_strategy,
)
def test_is_any_of_is_monotonic(
    left: str,
    values: list[str],
    more: list[str],
    others: list[Constraint],
    claims: dict[str, Any],
    purpose: str | None,
) -> None:
    def offer(right: list[str]) -> Offer:
        refs = [{"@id": v} if left == "odrl:purpose" else v for v in right]
        return _offer(Constraint(left_operand=left, operator="isAnyOf", right_operand=refs), *others)

    before = evaluate(offer(values), claims=claims, purpose=purpose, now=NOW).outcome
    after = evaluate(offer(values + more), claims=claims, purpose=purpose, now=NOW).outcome
    if before is Outcome.PERMITTED:
        assert after is Outcome.PERMITTED
    if before is Outcome.UNDECIDED:
        assert after is not Outcome.PROHIBITED


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
json_value = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.sampled_from(["@id", "@value", "@type", "x"]), kids, max_size=3),
    ),
    max_leaves=8,
)
operator_strategy = st.sampled_from(
    [
        "eq",
        "neq",
        "in",
        "isA",
        "isAnyOf",
        "isAllOf",
        "isNoneOf",
        "lt",
        "lteq",
        "gt",
        "gteq",
        "hasPart",
        "isPartOf",
        "odrl:eq",
        "bogus",
        "",
    ]
)
constraint_dict = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "leftOperand": st.sampled_from(OPERANDS + ["odrl:dateTime", "membershipStatus", "", "x:y"]),
            "operator": operator_strategy,
            "rightOperand": json_value,
        },
    ),
    lambda kids: st.dictionaries(
        st.sampled_from(["and", "or", "xone", "andSequence"]),
        st.lists(kids, max_size=3),
        min_size=1,
        max_size=1,
    ),
    max_leaves=6,
)
rule_dict = st.fixed_dictionaries(
    {"action": st.sampled_from(["use", "odrl:use", "read", "odrl:delete"])},
    optional={
        "constraint": st.lists(constraint_dict, max_size=3),
        "duty": st.lists(st.fixed_dictionaries({"action": st.just("odrl:delete")}), max_size=1),
    },
)
offer_dict = st.fixed_dictionaries(
    {"@id": st.just("urn:o")},
    optional={
        "permission": st.lists(rule_dict, max_size=2),
        "prohibition": st.lists(rule_dict, max_size=2),
        "obligation": st.lists(rule_dict, max_size=1),
    },
)
any_claims = st.dictionaries(
    st.sampled_from(["a", "b", "membershipStatus", "purpose", "odrl:dateTime", "x:y"]), json_value, max_size=4
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(offer_dict, json_value), any_claims, purpose_strategy)
def test_never_raises_except_sdk_errors(doc: Any, claims: dict[str, Any], purpose: str | None) -> None:
    try:
        offer = validate_model(Offer, doc)
        decision = evaluate(offer, claims=claims, purpose=purpose, now=NOW)
        tree = decision.explanation
        assert isinstance(decision.reasons, tuple)
        assert isinstance(decision.obligations, tuple)
        decision.explain()
        lint(offer)
    except D4HError:
        return
    result = {Outcome.PERMITTED: True, Outcome.PROHIBITED: False, Outcome.UNDECIDED: None}[decision.outcome]
    assert tree.result is result  # the fast path and the explanation agree
    if decision.outcome is not Outcome.PERMITTED:
        assert decision.reasons
