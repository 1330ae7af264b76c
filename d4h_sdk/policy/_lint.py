"""A linter for ODRL offers.

It finds free-text purposes, wrong EHDS article letters, unknown operands, values outside a value set,
contradictory constraints and unsatisfiable ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.models._base import validate_model
from d4h_sdk.models.policy import Constraint, LogicalConstraint, Offer, Policy
from d4h_sdk.policy._compare import OPERATORS, Atom, atoms, local_name, normalise_term
from d4h_sdk.policy._evaluate import operand_iri
from d4h_sdk.policy._vocab import D4H_EHDS, EHDS, ODRL, duo, operands, purposes

__all__ = ["LintIssue", "lint"]

_ODRL_LEFT_OPERANDS = frozenset(
    ODRL + name
    for name in (
        "absolutePosition absoluteSize absoluteSpatialPosition absoluteTemporalPosition count dateTime "
        "delayPeriod deliveryChannel device elapsedTime event fileFormat industry language media meteredTime "
        "payAmount percentage product purpose recipient relativePosition relativeSize "
        "relativeSpatialPosition relativeTemporalPosition resolution spatial spatialCoordinates system "
        "systemDevice timeInterval unitOfCount version virtualLocation"
    ).split()
)
_ARTICLE = re.compile(r"art(?:icle)?[\s._:/-]*53[\s._:/-]*(?:\(?1\)?)?[\s._:/-]*\(?([a-z])\)?", re.IGNORECASE)
_LETTER_WORDS = (
    ("e", ("research", "algorithm", "training", "innovation", "ai")),
    ("c", ("statistic",)),
    ("d", ("education", "teaching")),
    ("b", ("policy", "regulat")),
    ("a", ("public interest", "public-interest", "surveillance", "cross-border", "threat")),
    ("f", ("care", "treatment")),
)


@dataclass(frozen=True)
class LintIssue:
    """One finding of :func:`lint`.

    Attributes:
        code: A stable code, e.g. ``"free-text-purpose"``.
        severity: ``"error"`` (the offer is wrong), ``"warning"`` (likely wrong, not evaluable) or ``"info"``.
        message: What is wrong and how to fix it.
        path: Where, e.g. ``"permission[0].constraint[1].or[0]"``.
    """

    code: str
    severity: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message} [{self.code}]"


def lint(offer: Policy | Mapping[str, Any]) -> list[LintIssue]:
    """Check an offer for mistakes that make it wrong, unenforceable or unsatisfiable.

    Args:
        offer: An offer (or any policy) model, or its JSON dict in the 2025-1 compact form.

    Returns:
        The issues found, in document order (empty when the offer is clean).

    Raises:
        DecodeError: ``offer`` is a dict that is not a valid offer.
    """
    policy = offer if isinstance(offer, Policy) else validate_model(Offer, dict(offer))
    issues: list[LintIssue] = []
    for kind, rules in (("permission", policy.permission), ("prohibition", policy.prohibition)):
        for index, rule in enumerate(rules):
            path = f"{kind}[{index}]"
            _check_group(
                "and", rule.constraint, f"{path}.constraint", issues, permission=kind == "permission"
            )
            if kind == "permission":
                _check_public_sector(rule.constraint, path, issues)
                for dindex, duty in enumerate(getattr(rule, "duty", ())):
                    _check_group(
                        "and", duty.constraint, f"{path}.duty[{dindex}].constraint", issues, permission=False
                    )
    if not policy.permission and not policy.prohibition:
        issues.append(
            LintIssue("empty-policy", "error", "the policy has neither permission nor prohibition", "")
        )
    return issues


def _check_group(
    operator: str, items: Iterable[Any], path: str, issues: list[LintIssue], *, permission: bool
) -> None:
    atomic: list[tuple[str, Constraint]] = []
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if isinstance(item, LogicalConstraint):
            if not item.operator:
                issues.append(
                    LintIssue("empty-logical", "error", "a logical constraint has no operands", where)
                )
                continue
            _check_group(
                item.operator, item.operands, f"{where}.{item.operator}", issues, permission=permission
            )
        else:
            _check_atomic(item, where, issues, permission=permission)
            atomic.append((where, item))
    if operator in ("and", "andSequence"):
        _check_contradictions(atomic, path, issues)


def _check_atomic(item: Constraint, path: str, issues: list[LintIssue], *, permission: bool) -> None:
    if not item.left_operand:
        issues.append(LintIssue("missing-operand", "error", "the constraint has no left operand", path))
        return
    iri = operand_iri(item.left_operand)
    known = operands.get(iri)
    op = normalise_term(item.operator)
    if op == "in":
        issues.append(
            LintIssue(
                "non-dsp-operator", "warning", "'in' is not a DSP 2025-1 operator; write 'isAnyOf'", path
            )
        )
    elif op not in OPERATORS:
        issues.append(LintIssue("unknown-operator", "error", f"unknown operator {item.operator!r}", path))
    if known is None and iri not in _ODRL_LEFT_OPERANDS:
        issues.append(
            LintIssue(
                "unknown-operand",
                "warning",
                f"unknown left operand {item.left_operand!r}: neither DS4H, ODRL nor SDK; "
                "connectors may reject it and the local evaluator reports it undecided",
                path,
            )
        )
    if known is not None and not known.enforced:
        issues.append(
            LintIssue("not-enforced", "info", f"{known.name} is declarative: no connector enforces it", path)
        )
    if iri == operands.PURPOSE.iri:
        _check_purpose(item.right_operand, path, issues, permission=permission)
        return
    if known is not None and known.values:
        values = atoms(item.right_operand) or ()
        for value in values:
            if isinstance(value, str) and value not in known.values:
                severity = "error" if known.closed else "warning"
                allowed = ", ".join(known.values)
                issues.append(
                    LintIssue(
                        "unknown-value",
                        severity,
                        f"{known.name} value {value!r} is not one of: {allowed}",
                        path,
                    )
                )
    if known is not None and known.kind == "country":
        for value in atoms(item.right_operand) or ():
            if not (isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()):
                issues.append(
                    LintIssue("bad-country", "error", f"{value!r} is not an ISO 3166-1 alpha-2 code", path)
                )


def _expected_letter(text: str) -> str | None:
    lowered = text.lower()
    for letter, words in _LETTER_WORDS:
        if any(re.search(rf"\b{re.escape(word)}", lowered) for word in words):
            return letter
    return None


def _check_purpose(right: Any, path: str, issues: list[LintIssue], *, permission: bool) -> None:
    values = right if isinstance(right, (list, tuple)) else [right]
    for value in values:
        if isinstance(value, Mapping) and isinstance(value.get("@id"), str):
            iri = str(atoms(value)[0]) if atoms(value) else value["@id"]  # type: ignore[index]
            _check_purpose_iri(iri, path, issues, permission=permission)
            continue
        text = str(value.get("@value", value) if isinstance(value, Mapping) else value)
        if " " in text or ":" not in text:
            issues.append(
                LintIssue(
                    "free-text-purpose",
                    "error",
                    f"purpose {text!r} is free text; use an IRI such as {purposes.SCIENTIFIC_RESEARCH.iri}",
                    path,
                )
            )
            _check_letter(text, path, issues)
        else:
            issues.append(
                LintIssue("purpose-literal", "warning", f"write the purpose IRI as {{'@id': {text!r}}}", path)
            )
            _check_purpose_iri(text, path, issues, permission=permission)


def _check_letter(text: str, path: str, issues: list[LintIssue]) -> None:
    match = _ARTICLE.search(text)
    if match is None:
        return
    letter = match.group(1).lower()
    if letter not in "abcdef":
        issues.append(LintIssue("wrong-article", "error", f"EHDS Art 53(1) has no letter ({letter})", path))
        return
    expected = _expected_letter(text.replace(match.group(0), " "))
    if expected is not None and expected != letter:
        issues.append(
            LintIssue(
                "wrong-article",
                "error",
                f"{text!r} cites Art 53(1)({letter}), but that purpose is Art 53(1)({expected})",
                path,
            )
        )


def _check_purpose_iri(iri: str, path: str, issues: list[LintIssue], *, permission: bool) -> None:
    found = purposes.get(iri)
    if found is not None:
        if found.prohibited and permission:
            issues.append(
                LintIssue(
                    "prohibited-purpose",
                    "error",
                    f"{found.label} is prohibited by EHDS {found.article}",
                    path,
                )
            )
        return
    if iri.startswith((EHDS, D4H_EHDS)):
        issues.append(LintIssue("unknown-purpose", "error", f"{iri} is no EHDS purpose the SDK knows", path))
    elif duo.get(iri) is None:
        issues.append(
            LintIssue(
                "custom-purpose", "warning", f"{local_name(iri)} is neither an EHDS nor a DUO purpose", path
            )
        )
    _check_letter(iri, path, issues)


def _check_public_sector(items: Iterable[Any], path: str, issues: list[LintIssue]) -> None:
    flat = list(_atomic_in_and(items))
    reserved = []
    for item in flat:
        if operand_iri(item.left_operand or "") == operands.PURPOSE.iri:
            for value in atoms(item.right_operand) or ():
                found = purposes.get(str(value))
                if found is not None and found.public_sector_only:
                    reserved.append(found)
    if not reserved or len(reserved) < len(_purpose_values(flat)):
        return
    public = any(
        operand_iri(item.left_operand or "") == operands.ORGANIZATION_OWNERSHIP_TYPE.iri
        and normalise_term(item.operator) == "eq"
        and item.right_operand == "public"
        for item in flat
    )
    if not public:
        issues.append(
            LintIssue(
                "public-sector-only",
                "warning",
                "Art 53(2) reserves purposes (a)-(c) to public sector bodies; "
                "add organizationOwnershipType eq public",
                path,
            )
        )


def _purpose_values(flat: list[Constraint]) -> list[Atom]:
    out: list[Atom] = []
    for item in flat:
        if operand_iri(item.left_operand or "") == operands.PURPOSE.iri:
            out.extend(atoms(item.right_operand) or ())
    return out


def _atomic_in_and(items: Iterable[Any]) -> Iterable[Constraint]:
    for item in items:
        if isinstance(item, LogicalConstraint):
            if item.operator in ("and", "andSequence"):
                yield from _atomic_in_and(item.operands)
        else:
            yield item


def _check_contradictions(atomic: list[tuple[str, Constraint]], path: str, issues: list[LintIssue]) -> None:
    by_operand: dict[str, list[tuple[str, Constraint]]] = {}
    for where, item in atomic:
        by_operand.setdefault(operand_iri(item.left_operand or ""), []).append((where, item))
    for iri, group in by_operand.items():
        if len(group) < 2:
            continue
        name = local_name(iri)
        if iri != operands.PURPOSE.iri:
            _check_sets(name, group, path, issues)
        _check_range(name, group, path, issues)


def _check_sets(name: str, group: list[tuple[str, Constraint]], path: str, issues: list[LintIssue]) -> None:
    allowed: set[Atom] | None = None
    banned: set[Atom] = set()
    for _, item in group:
        op = normalise_term(item.operator)
        values = atoms(item.right_operand)
        if values is None:
            return
        if op in ("eq", "isAnyOf", "in", "isPartOf") and not (op == "eq" and len(values) > 1):
            allowed = set(values) if allowed is None else allowed & set(values)
        elif op in ("neq", "isNoneOf"):
            banned |= set(values)
    if allowed is not None and not (allowed - banned):
        issues.append(
            LintIssue(
                "contradiction",
                "error",
                f"the constraints on {name} under 'and' contradict each other: no value satisfies them all",
                path,
            )
        )


def _check_range(name: str, group: list[tuple[str, Constraint]], path: str, issues: list[LintIssue]) -> None:
    from d4h_sdk.policy._compare import compare

    lows: list[tuple[Atom, bool, int]] = []
    highs: list[tuple[Atom, bool, int]] = []
    for index, (_, item) in enumerate(group):
        op = normalise_term(item.operator)
        values = atoms(item.right_operand)
        if not values or len(values) != 1 or op not in ("lt", "lteq", "gt", "gteq", "eq"):
            continue
        if op in ("gt", "gteq", "eq"):
            lows.append((values[0], op == "gt", index))
        if op in ("lt", "lteq", "eq"):
            highs.append((values[0], op == "lt", index))
    for low, strict_low, low_at in lows:
        for high, strict_high, high_at in highs:
            if low_at == high_at:
                continue
            operator = "lt" if strict_low or strict_high else "lteq"
            result, _ = compare(operator, (low,), (high,), hierarchical=False, as_date=False)
            if result is False:
                issues.append(
                    LintIssue(
                        "empty-range",
                        "error",
                        f"the range of {name} is empty: it must be above {low!s} and below {high!s}",
                        path,
                    )
                )
                return
