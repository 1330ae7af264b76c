"""Decisions and their explanation trees."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d4h_sdk.models.policy import Policy
    from d4h_sdk.policy._evaluate import Evaluator

__all__ = ["Decision", "Explanation", "Outcome", "and3", "or3", "xone3"]


class Outcome(str, Enum):
    """The outcome of a local policy evaluation."""

    PERMITTED = "permitted"
    """Every constraint of a permission is satisfied and no prohibition applies."""
    PROHIBITED = "prohibited"
    """A prohibition applies, the purpose is an Art 54 one, or no permission can be satisfied."""
    UNDECIDED = "undecided"
    """The outcome depends on something that cannot be evaluated locally (a missing claim, an unknown
    operand or operator); the explanation names it."""


def and3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued (Kleene) conjunction: False wins, then undecided, else True."""
    undecided = False
    for value in values:
        if value is False:
            return False
        if value is None:
            undecided = True
    return None if undecided else True


def or3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued (Kleene) disjunction: True wins, then undecided, else False."""
    undecided = False
    for value in values:
        if value is True:
            return True
        if value is None:
            undecided = True
    return None if undecided else False


def xone3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued "exactly one": two satisfied -> False; an undecided one -> undecided; else one -> True."""
    trues = 0
    undecided = False
    for value in values:
        if value is True:
            trues += 1
            if trues > 1:
                return False
        elif value is None:
            undecided = True
    if undecided:
        return None
    return trues == 1


_STATUS = {True: "satisfied", False: "violated", None: "undecided"}


@dataclass(frozen=True)
class Explanation:
    """One node of an explanation tree.

    Attributes:
        kind: ``"policy"``, ``"permission"``, ``"prohibition"``, ``"duty"``, ``"purpose"`` (the Art 54
            check), ``"and"`` / ``"or"`` / ``"xone"`` / ``"andSequence"``, or ``"constraint"``.
        result: ``True`` satisfied (for a prohibition: it applies), ``False`` violated, ``None`` undecided.
        sentence: A sentence a person understands.
        left_operand: For a constraint: the left operand's full IRI.
        operator: For a constraint: the operator (``eq``, ``isAnyOf``, ...).
        expected: For a constraint: the right operand as written in the offer.
        actual: For a constraint: the requester's value (claim, declared purpose, clock), ``None`` if absent.
        children: The nodes below this one.
    """

    kind: str
    result: bool | None
    sentence: str
    left_operand: str | None = None
    operator: str | None = None
    expected: Any = None
    actual: Any = None
    children: tuple[Explanation, ...] = ()

    @property
    def status(self) -> str:
        """``"satisfied"``, ``"violated"`` or ``"undecided"``."""
        return _STATUS[self.result]

    def walk(self) -> Iterator[Explanation]:
        """Yield this node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def render(self, indent: int = 0) -> str:
        """Render the tree as indented text, one node per line."""
        lines = [f"{'  ' * indent}[{self.status}] {self.sentence}"]
        lines.extend(child.render(indent + 1) for child in self.children)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class Decision:
    """The result of :func:`~d4h_sdk.policy.evaluate`: an outcome, and (built on first access) why.

    Attributes:
        outcome: Permitted, prohibited or undecided.
    """

    __slots__ = ("_evaluator", "_explanation", "_policy", "outcome")

    def __init__(self, outcome: Outcome, evaluator: Evaluator, policy: Policy) -> None:
        self.outcome = outcome
        self._evaluator = evaluator
        self._policy = policy
        self._explanation: Explanation | None = None

    @property
    def permitted(self) -> bool:
        """True when the outcome is :attr:`Outcome.PERMITTED`."""
        return self.outcome is Outcome.PERMITTED

    @property
    def explanation(self) -> Explanation:
        """The explanation tree: the policy, its rules, each constraint with expected and actual values."""
        if self._explanation is None:
            self._explanation = self._evaluator.explain(self._policy)
        return self._explanation

    @property
    def obligations(self) -> tuple[Explanation, ...]:
        """The duties that come with the permission (and the policy's obligations), as explanation nodes."""
        return tuple(node for node in self.explanation.children if node.kind == "duty")

    @property
    def reasons(self) -> tuple[str, ...]:
        """Sentences naming what blocks a permission or leaves it undecided (empty when permitted)."""
        if self.outcome is Outcome.PERMITTED:
            return ()
        root = self.explanation
        found: list[str] = []
        for rule in root.children:
            if rule.kind == "purpose" and rule.result is False:
                return (rule.sentence,)
            if rule.kind == "prohibition" and rule.result is not False:
                found.extend(
                    n.sentence for n in rule.walk() if n.kind == "constraint" and n.result is not False
                )
                found.append(rule.sentence)
            elif rule.kind == "permission":
                found.extend(
                    n.sentence for n in rule.walk() if n.kind == "constraint" and n.result is not True
                )
                if rule.result is False and not rule.children:
                    found.append(rule.sentence)
        return tuple(dict.fromkeys(found)) or (root.sentence,)

    def explain(self) -> str:
        """The explanation as indented text."""
        return self.explanation.render()

    def __repr__(self) -> str:
        return f"Decision(outcome={self.outcome.value!r})"
