"""ODRL policies as profiled by the Dataspace Protocol: offers, agreements, rules and constraints."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Field, Tag

from d4h_sdk.models._base import Many, Node

__all__ = [
    "Agreement",
    "AnyConstraint",
    "Constraint",
    "Duty",
    "AnyConstraint",
    "LogicalConstraint",
    "Offer",
    "Permission",
    "Policy",
    "Prohibition",
    "Rule",
]


class Constraint(Node):
    """An atomic constraint: ``left_operand operator right_operand`` (e.g. ``purpose eq ...``).

    ``right_operand`` keeps its JSON form: a string, a number, a list, or a typed literal
    ``{"@value": ..., "@type": ...}``.
    """

    left_operand: str | None = Field(default=None, alias="leftOperand")
    operator: str | None = None
    right_operand: Any = Field(default=None, alias="rightOperand")


_LOGICAL_KEYS = ("and", "or", "xone", "andSequence", "and_", "or_", "and_sequence")


def _constraint_kind(value: object) -> str:
    """Tell a logical constraint from an atomic one, for dicts and models alike."""
    if isinstance(value, LogicalConstraint):
        return "logical"
    if isinstance(value, dict) and any(key in value for key in _LOGICAL_KEYS):
        return "logical"
    return "atomic"


class LogicalConstraint(Node):
    """A logical constraint combining other constraints with ``and``, ``or``, ``xone`` or ``andSequence``."""

    and_: Many[AnyConstraint] = Field(default=(), alias="and")
    or_: Many[AnyConstraint] = Field(default=(), alias="or")
    xone: Many[AnyConstraint] = ()
    and_sequence: Many[AnyConstraint] = Field(default=(), alias="andSequence")

    @property
    def operator(self) -> str:
        """The logical operator in use (``and``, ``or``, ``xone``, ``andSequence``; '' if empty)."""
        for name, items in (("and", self.and_), ("or", self.or_), ("xone", self.xone)):
            if items:
                return name
        return "andSequence" if self.and_sequence else ""

    @property
    def operands(self) -> tuple[AnyConstraint, ...]:
        """The constraints the operator combines."""
        return self.and_ or self.or_ or self.xone or self.and_sequence


AnyConstraint = Annotated[
    Annotated[Constraint, Tag("atomic")] | Annotated[LogicalConstraint, Tag("logical")],
    Discriminator(_constraint_kind),
]
"""An atomic or a logical constraint."""

LogicalConstraint.model_rebuild()


class Rule(Node):
    """Common shape of ODRL rules: an action, constraints, and (for permissions) duties."""

    action: str | None = None
    constraint: Many[AnyConstraint] = ()
    target: str | None = None
    assigner: str | None = None
    assignee: str | None = None


class Duty(Rule):
    """An ODRL duty (an obligation, or a duty attached to a permission)."""


class Permission(Rule):
    """An ODRL permission, with the duties that come with it."""

    duty: Many[Duty] = ()


class Prohibition(Rule):
    """An ODRL prohibition."""


class Policy(Node):
    """An ODRL policy (offer or agreement)."""

    target: str | None = None
    assigner: str | None = None
    assignee: str | None = None
    profile: Many[str] = ()
    permission: Many[Permission] = ()
    prohibition: Many[Prohibition] = ()
    obligation: Many[Duty] = ()


class Offer(Policy):
    """A contract offer: a policy the provider proposes for a dataset."""

    MESSAGE_TYPE: ClassVar[str] = "Offer"
    type: str | None = Field(default="Offer", alias="@type")


class Agreement(Policy):
    """A contract agreement: the policy both parties signed, with its timestamp."""

    MESSAGE_TYPE: ClassVar[str] = "Agreement"
    type: str | None = Field(default="Agreement", alias="@type")

    timestamp: str | None = None
