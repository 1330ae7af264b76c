"""Local ODRL evaluation of DSP offers against a requester's claims and declared purpose.

The fast path computes only the three-valued outcome; the explanation tree is built on first access of
:attr:`Decision.explanation`, from the same cached constraint checks, so both always agree. An
:class:`Evaluator` memoises atomic constraint checks for its requester profile: offers of one catalog
repeat the same constraints, which makes evaluating thousands of offers cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from operator import attrgetter, itemgetter
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models._base import validate_model
from d4h_sdk.models.policy import (
    Agreement,
    Constraint,
    Duty,
    LogicalConstraint,
    Offer,
    Permission,
    Policy,
    Prohibition,
)
from d4h_sdk.policy._compare import (
    CONDITIONS,
    OPERATORS,
    Atom,
    atoms,
    compare,
    freeze,
    local_name,
    normalise_term,
)
from d4h_sdk.policy._explain import Decision, Explanation, Outcome, and3, or3, xone3
from d4h_sdk.policy._vocab import EDC, DuoCode, Purpose, expand_iri, operands, purposes

__all__ = ["Evaluator", "evaluate"]

_PURPOSE = operands.PURPOSE.iri
_DATE_TIME = operands.DATE_TIME.iri
_COMBINE = {"and": and3, "andSequence": and3, "or": or3, "xone": xone3}


def operand_iri(name: str) -> str:
    """The full IRI of a left operand or claim key (known names, compact IRIs; bare names -> EDC)."""
    known = operands.get(name)
    if known is not None:
        return known.iri
    expanded = expand_iri(name)
    if ":" not in expanded and expanded:
        return EDC + expanded  # EDC's @vocab compaction writes its operands as bare terms
    return expanded


_POLICY_TYPES = frozenset({Offer, Agreement, Policy})
_CACHE_LIMIT = 65_536
"""Atomic checks memoised per evaluator (the memo is cleared when full)."""
_IDS = object()
"""Marks a cache key made of ``@id`` references (no frozen JSON value can be this object)."""
_PERMITTED, _PROHIBITED, _UNDECIDED = Outcome.PERMITTED, Outcome.PROHIBITED, Outcome.UNDECIDED
_MISSING = object()
_GET_ID = itemgetter("@id")
_GET_KEY = attrgetter("left_operand", "operator", "right_operand")
_STR_ONLY = {str}
_LITERAL = object()
"""Marks a cache key of a typed literal."""


def _right_key(right: Any) -> Any:
    """A hashable cache key for a non-string right operand.

    References (a list of ``{"@id": ...}``, or one) and typed literals are keyed without a deep copy; equal
    keys always mean equal normalised values (:func:`~d4h_sdk.policy._compare.atoms` reads only ``@id`` from
    a reference). Anything else is frozen in full.
    """
    kind = type(right)
    if kind is list and len(right) == 1:
        item = right[0]
        if type(item) is dict and type(item.get("@id")) is str:
            return (_IDS, (item["@id"],))
    if kind is list:
        try:  # a list of references, read in C; an item without "@id" raises and the list is frozen instead
            ids = tuple(map(_GET_ID, right))
        except (TypeError, KeyError, IndexError):
            return freeze(right)
        if set(map(type, ids)) == _STR_ONLY:
            return (_IDS, ids)
    if kind is dict:
        if len(right) == 1 and type(right.get("@id")) is str:
            return (_IDS, (right["@id"],))
        value, literal_type = right.get("@value"), right.get("@type")
        if len(right) == 2 and type(value) is str and type(literal_type) is str:
            return (_LITERAL, value, literal_type)
    return freeze(right)


class _Check:
    """The cached result of one atomic constraint for one requester profile."""

    __slots__ = ("actual", "expected", "iri", "operator", "reason", "result", "right")

    def __init__(
        self, iri: str, operator: str, right: Any, actual: Any, result: bool | None, reason: str
    ) -> None:
        self.iri = iri
        self.operator = operator
        self.right = right
        self.actual = actual
        self.result = result
        self.reason = reason
        self.expected: tuple[Atom, ...] | None = None

    def sentence(self, condition: bool = False) -> str:
        """Explain the check; ``condition`` words it as the condition of a prohibition or duty."""
        name = operands.get(self.iri)
        subject = name.name if name is not None else (local_name(self.iri) or "(no left operand)")
        phrases = CONDITIONS if condition else OPERATORS
        phrase = phrases.get(self.operator, f"{self.operator!r}")
        if condition:
            subject = "when " + subject
        expected = _show(self.right)
        if self.reason:
            return f"{subject} {phrase} {expected}: {self.reason} (undecided)"
        actual = _show(self.actual)
        note = ""
        if self.iri == _PURPOSE and self.result and isinstance(self.actual, str):
            parents = [e for e in _as_tuple(self.right) if _show(e) != actual]
            if parents and self.operator not in ("neq", "isNoneOf"):
                note = " (a sub-purpose satisfies its broader purpose)"
        if condition:
            verdict = "holds" if self.result else "does not hold"
        else:
            verdict = "satisfied" if self.result else "violated"
        return f"{subject} {phrase} {expected}; the requester has {actual}{note}: {verdict}"


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if "@id" in value:
            return local_name(value["@id"])
        if "@value" in value:
            return repr(str(value["@value"]))
    if isinstance(value, bool):
        return repr("true" if value else "false")
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and ("/" in value or "#" in value):
        return local_name(value)
    return repr(value) if isinstance(value, str) else str(value)


class Evaluator:
    """Evaluates offers for one requester profile (claims, declared purpose, action, clock).

    Reuse one evaluator for many offers: atomic constraint checks are memoised per profile.

    Args:
        claims: The requester's claims, keyed by operand name (``"membershipStatus"``), compact IRI
            (``"edc:membershipStatus"``) or full IRI; values are strings, booleans, numbers, lists or enums.
        purpose: The declared purpose: a :class:`Purpose`, a :class:`DuoCode` or an IRI (a ``purpose``
            claim is used when this is ``None``).
        action: The action requested (``"use"`` by default).
        now: The clock for ``dateTime`` constraints (default: the current UTC time at construction).
    """

    def __init__(
        self,
        *,
        claims: Mapping[str, Any] | None = None,
        purpose: str | Purpose | DuoCode | None = None,
        action: str = "use",
        now: datetime | None = None,
    ) -> None:
        if claims is not None and not isinstance(claims, Mapping):
            raise ConfigurationError(
                f"claims must be a mapping of operand -> value, got {type(claims).__name__}"
            )
        self._claims: dict[str, Any] = {operand_iri(str(key)): value for key, value in (claims or {}).items()}
        if purpose is None:
            purpose = self._claims.get(_PURPOSE)
        if purpose is not None and not isinstance(purpose, (str, Purpose, DuoCode)):
            raise ConfigurationError("purpose must be an IRI string, a Purpose or a DuoCode")
        self.purpose: str | None = expand_iri(str(purpose)) if purpose is not None else None
        if self.purpose is not None:
            self._claims[_PURPOSE] = self.purpose
        clock = now if now is not None else datetime.now(timezone.utc)
        self.now: datetime = clock if clock.tzinfo is not None else clock.replace(tzinfo=timezone.utc)
        self._claims[_DATE_TIME] = self.now
        self.action = normalise_term(action) or "use"
        self._banned = self._art54(self.purpose)
        self._claim_atoms = {iri: atoms(value) for iri, value in self._claims.items()}
        self._cache: dict[tuple[Any, Any, Any], _Check] = {}
        self._results: dict[tuple[Any, Any, Any], bool | None] = {}

    @staticmethod
    def _art54(iri: str | None) -> Purpose | None:
        from d4h_sdk.policy._compare import ANCESTORS

        if iri is None:
            return None
        for ancestor in ANCESTORS.get(iri, frozenset((iri,))):
            found = purposes.get(ancestor)
            if found is not None and found.prohibited:
                return found
        return None

    # -- public -------------------------------------------------------------------------------------------

    def evaluate(self, policy: Policy | Permission | Prohibition | Mapping[str, Any]) -> Decision:
        """Evaluate an offer (or agreement, policy, single permission or prohibition) for this profile.

        Args:
            policy: A policy model, a rule, or a policy as a JSON dict in the 2025-1 compact form.

        Returns:
            The decision; its explanation is built when first read.

        Raises:
            DecodeError: ``policy`` is a dict that is not a valid offer.
            ConfigurationError: ``policy`` is of an unsupported type.
        """
        model: Policy = policy if type(policy) in _POLICY_TYPES else _as_policy(policy)  # type: ignore[assignment]
        return Decision(self._outcome(model), self, model)

    def explain(self, policy: Policy) -> Explanation:
        """Build the full explanation tree of ``policy`` (what :attr:`Decision.explanation` returns)."""
        nodes: list[Explanation] = []
        outcome = self._outcome(policy)
        if self._banned is not None:
            nodes.append(
                Explanation(
                    "purpose",
                    False,
                    f"the declared purpose is prohibited by EHDS {self._banned.article}: "
                    f"{self._banned.label}",
                    operands.PURPOSE.iri,
                    "isNoneOf",
                    self._banned.iri,
                    self.purpose,
                )
            )
        applied: list[Permission] = []
        for rule in policy.prohibition:
            nodes.append(self._explain_rule(rule, "prohibition"))
        for perm in policy.permission:
            node = self._explain_rule(perm, "permission")
            nodes.append(node)
            if node.result is not False:
                applied.append(perm)
        for perm in applied[:1] if outcome is Outcome.PERMITTED else applied:
            nodes.extend(self._explain_rule(duty, "duty") for duty in perm.duty)
        nodes.extend(self._explain_rule(duty, "duty") for duty in policy.obligation)
        sentence = {
            Outcome.PERMITTED: "the request can be permitted",
            Outcome.PROHIBITED: "the request is prohibited",
            Outcome.UNDECIDED: "the outcome cannot be decided locally",
        }[outcome]
        if not policy.permission and self._banned is None:
            sentence += " (the policy grants no permission)"
        result = {Outcome.PERMITTED: True, Outcome.PROHIBITED: False, Outcome.UNDECIDED: None}[outcome]
        return Explanation("policy", result, sentence, children=tuple(nodes))

    # -- fast path ------------------------------------------------------------------------------------------

    def _outcome(self, policy: Policy) -> Outcome:
        if self._banned is not None:
            return _PROHIBITED
        # Permissions first: when none can hold, the outcome is prohibited whatever the prohibitions say.
        best: bool | None = False
        own = self.action
        for perm in policy.permission:
            action = perm.action
            if action is not None and action != "use" and action != own and not self._action_ok(action):
                continue
            value = self._all(perm.constraint)
            if value is True:
                best = True
                break
            if value is None:
                best = None
        if best is False:
            return _PROHIBITED
        pending = False
        for rule in policy.prohibition:
            action = rule.action
            if action is not None and action != "use" and action != own and not self._action_ok(action):
                continue
            value = self._all(rule.constraint)
            if value is True:
                return _PROHIBITED
            if value is None:
                pending = True
        return _UNDECIDED if best is None or pending else _PERMITTED

    def _action_ok(self, action: str | None) -> bool:
        if action is None or action == "use" or action == self.action:
            return True
        term = normalise_term(action)
        return term == "use" or term == self.action

    def _rule(self, rule: Permission | Prohibition | Duty) -> bool | None:
        action = rule.action
        if action is not None and action != "use" and action != self.action and not self._action_ok(action):
            return False
        return self._all(rule.constraint)

    def _all(self, items: tuple[Any, ...]) -> bool | None:
        """Kleene ``and`` over constraints, short-circuiting on the first violated one (the hot loop)."""
        results = self._results
        missing = _MISSING
        atomic = Constraint
        getter = _GET_KEY
        result: bool | None = True
        for item in items:
            if type(item) is atomic:  # inlined _check
                key = getter(item)  # (left_operand, operator, right_operand), built in C
                if type(key[2]) is not str:
                    key = (key[0], key[1], _right_key(key[2]))
                value = results.get(key, missing)
                if value is missing:
                    value = self._miss(key, item).result
            else:
                value = self._logical(item)
            if value is False:
                return False
            if value is None:
                result = None
        return result

    def _any(self, items: tuple[Any, ...]) -> bool | None:
        """Kleene ``or`` over constraints, short-circuiting on the first satisfied one."""
        results = self._results
        result: bool | None = False
        for item in items:
            if type(item) is Constraint:
                key = _GET_KEY(item)
                if type(key[2]) is not str:
                    key = (key[0], key[1], _right_key(key[2]))
                value = results.get(key, _MISSING)
                if value is _MISSING:
                    value = self._miss(key, item).result
            else:
                value = self._logical(item)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    def _logical(self, node: Any) -> bool | None:
        if type(node) is not LogicalConstraint and not isinstance(node, LogicalConstraint):
            return self._check(node).result
        if node.and_:
            return self._all(node.and_)
        if node.or_:
            return self._any(node.or_)
        if node.xone:
            return xone3(
                [self._check(i).result if type(i) is Constraint else self._logical(i) for i in node.xone]
            )
        if node.and_sequence:
            return self._all(node.and_sequence)
        return None  # an empty logical constraint says nothing we can evaluate

    def _check(self, node: Constraint) -> _Check:
        right = node.right_operand
        key = (node.left_operand, node.operator, right if type(right) is str else _right_key(right))
        found = self._cache.get(key)
        return found if found is not None else self._miss(key, node)

    def _miss(self, key: tuple[Any, Any, Any], node: Constraint) -> _Check:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
            self._results.clear()
        found = self._compute(node.left_operand, node.operator, node.right_operand)
        self._cache[key] = found
        self._results[key] = found.result
        return found

    def _compute(self, left: str | None, operator: str | None, right: Any) -> _Check:
        op = normalise_term(operator)
        if not left:
            return _Check("", op, right, None, None, "the constraint has no left operand")
        iri = operand_iri(left)
        if op not in OPERATORS:
            return _Check(
                iri, op, right, None, None, f"operator {op!r} is not supported by the local evaluator"
            )
        expected = atoms(right)
        if expected is None:
            return _Check(
                iri, op, right, None, None, "the right operand has no value the evaluator can compare"
            )
        if iri not in self._claims:
            known = operands.get(iri)
            if iri == _PURPOSE:
                why = "no purpose was declared"
            elif known is None:
                why = (
                    f"unknown operand: no claim {local_name(iri)!r} was given; it cannot be evaluated locally"
                )
            else:
                why = f"no claim {known.name!r} was given; it cannot be evaluated locally"
            return _Check(iri, op, right, None, None, why)
        actual = self._claims[iri]
        actual_atoms = self._claim_atoms[iri]
        if actual_atoms is None:
            return _Check(iri, op, right, actual, None, "the requester's value cannot be compared")
        result, why = compare(
            op, actual_atoms, expected, hierarchical=iri == _PURPOSE, as_date=iri == _DATE_TIME
        )
        check = _Check(iri, op, right, actual, result, why)
        check.expected = expected
        return check

    # -- explanation ----------------------------------------------------------------------------------------

    def _explain_node(self, node: Any, condition: bool = False) -> Explanation:
        if isinstance(node, LogicalConstraint):
            kids = tuple(self._explain_node(item, condition) for item in node.operands)
            combine = _COMBINE.get(node.operator)
            if combine is None:
                return Explanation(
                    "and", None, "an empty logical constraint cannot be evaluated", children=kids
                )
            result = combine(kid.result for kid in kids)
            label = {"and": "all of", "andSequence": "all of, in sequence,", "or": "at least one of"}.get(
                node.operator, "exactly one of"
            )
            return Explanation(node.operator, result, f"{label} the following must hold", children=kids)
        check = self._check(node)
        return Explanation(
            "constraint",
            check.result,
            check.sentence(condition),
            check.iri,
            check.operator,
            check.right,
            check.actual,
        )

    def _explain_rule(self, rule: Permission | Prohibition | Duty, kind: str) -> Explanation:
        action = normalise_term(rule.action) if rule.action else "use"
        if kind != "duty" and not self._action_ok(rule.action):
            return Explanation(
                kind, False, f"{kind} of {action!r} does not cover the requested {self.action!r}"
            )
        kids = tuple(self._explain_node(item, kind != "permission") for item in rule.constraint)
        result = and3(kid.result for kid in kids)
        if kind == "permission":
            sentence = f"permission to {action}" + ("" if kids else " (unconditional)")
        elif kind == "prohibition":
            verdict = {True: "applies", False: "does not apply", None: "may apply"}[result]
            sentence = f"prohibition of {action}: {verdict}"
        else:
            result = None  # a duty is fulfilled (or not) after the agreement: never decided locally
            sentence = f"obligation to {action}" + (", under the conditions below" if kids else "")
        return Explanation(kind, result, sentence, children=kids)


def _as_policy(policy: Any) -> Policy:
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Permission):
        return Policy.model_construct(permission=(policy,))
    if isinstance(policy, Prohibition):
        return Policy.model_construct(prohibition=(policy,))
    if isinstance(policy, Mapping):
        return validate_model(Offer, dict(policy))
    raise ConfigurationError(f"cannot evaluate a {type(policy).__name__}; pass an Offer, a Policy or a rule")


def evaluate(
    policy: Policy | Permission | Prohibition | Mapping[str, Any],
    *,
    claims: Mapping[str, Any] | None = None,
    purpose: str | Purpose | DuoCode | None = None,
    action: str = "use",
    now: datetime | None = None,
) -> Decision:
    """Evaluate an offer locally: can this requester, for this purpose, get it, and why (not)?

    Semantics: a permission holds when its action covers ``action`` and all its constraints are satisfied;
    a matching prohibition, or a declared EHDS Art 54 purpose, makes the outcome prohibited; a constraint
    that cannot be evaluated locally (missing claim, unknown operand or operator) is undecided, never true.
    Duties are reported in :attr:`Decision.obligations`. For repeated evaluation, reuse an :class:`Evaluator`.

    Args:
        policy: The offer (or agreement, policy, permission or prohibition; a dict is read as an offer).
        claims: The requester's claims (see :class:`Evaluator`).
        purpose: The declared purpose (an EHDS purpose, a DUO code, or an IRI).
        action: The action requested.
        now: The clock for ``dateTime`` constraints (default: now, UTC).

    Returns:
        The decision with its outcome; ``decision.explanation`` holds the tree.

    Raises:
        DecodeError: ``policy`` is a dict that is not a valid offer.
        ConfigurationError: ``claims`` or ``purpose`` have the wrong type.
    """
    return Evaluator(claims=claims, purpose=purpose, action=action, now=now).evaluate(policy)
