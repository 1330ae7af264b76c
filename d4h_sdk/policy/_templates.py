"""Policy builders and the EHDS / DS4H templates.

Every template returns a :class:`PolicyBuilder`; extend it with more constraints, then call
:meth:`PolicyBuilder.offer`. The output is a :class:`~d4h_sdk.models.Offer` in the canonical (DSP 2025-1
compact) form: DS4H operands as full EDC IRIs, ``odrl:purpose`` / ``odrl:dateTime`` as compact IRIs,
purposes as ``{"@id": iri}`` references, booleans as ``"true"`` / ``"false"`` strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models.policy import (
    AnyConstraint,
    Constraint,
    Duty,
    LogicalConstraint,
    Offer,
    Permission,
    Prohibition,
)
from d4h_sdk.policy._compare import OPERATORS
from d4h_sdk.policy._vocab import (
    DataFormat,
    DuoCode,
    EuEeaStatus,
    MembershipStatus,
    Operand,
    OrganizationOwnershipType,
    OrganizationType,
    Purpose,
    expand_iri,
    operands,
    purposes,
)

__all__ = [
    "PolicyBuilder",
    "ai_training",
    "all_of",
    "any_of",
    "constraint",
    "ds4h_baseline",
    "public_sector",
    "research",
    "statistics_request",
]

PurposeLike = Purpose | DuoCode | str


def _right(operand: Operand | None, value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_right(operand, item) for item in value]
    if isinstance(value, (Purpose, DuoCode)):
        return {"@id": value.iri}
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return {"@value": when.isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}
    if isinstance(value, (int, float)):
        kind = "xsd:integer" if isinstance(value, int) else "xsd:decimal"
        return {"@value": str(value), "@type": kind}
    if operand is not None and operand.kind == "iri" and isinstance(value, str):
        return {"@id": expand_iri(value)}
    return value


def constraint(operand: Operand | str, operator: str, value: Any) -> Constraint:
    """Build an atomic constraint.

    Args:
        operand: A known :class:`Operand` (``operands.MEMBERSHIP_STATUS``) or a left-operand IRI.
        operator: An ODRL operator term (``eq``, ``isAnyOf``, ``lteq``...).
        value: The right operand: a string, enum, bool, number, datetime, purpose, or a list of them.

    Raises:
        ConfigurationError: The operator is not one the SDK writes.
    """
    if operator not in OPERATORS or operator == "in":
        raise ConfigurationError(f"unknown operator {operator!r}; use one of {', '.join(sorted(OPERATORS))}")
    known = operand if isinstance(operand, Operand) else operands.get(operand)
    left = known.wire if known is not None else str(operand)
    return Constraint(left_operand=left, operator=operator, right_operand=_right(known, value))


def any_of(*constraints: AnyConstraint) -> LogicalConstraint:
    """An ``or`` of constraints."""
    return LogicalConstraint(or_=constraints)


def all_of(*constraints: AnyConstraint) -> LogicalConstraint:
    """An ``and`` of constraints."""
    return LogicalConstraint(and_=constraints)


class PolicyBuilder:
    """Builds one ODRL offer: a permission with constraints and duties, plus prohibitions.

    Methods return the builder, so calls chain. Templates such as :func:`research` return one.

    Args:
        action: The permitted action (``"use"``).
    """

    def __init__(self, *, action: str = "use") -> None:
        self.action = action
        self._constraints: list[AnyConstraint] = []
        self._duties: list[Duty] = []
        self._prohibitions: list[Prohibition] = []

    def add(self, *constraints: AnyConstraint) -> PolicyBuilder:
        """Add constraints (they are combined with ``and``)."""
        self._constraints.extend(constraints)
        return self

    def require(self, operand: Operand | str, value: Any, *, operator: str = "eq") -> PolicyBuilder:
        """Require ``operand <operator> value`` (``eq`` by default)."""
        return self.add(constraint(operand, operator, value))

    def purposes(self, *allowed: PurposeLike) -> PolicyBuilder:
        """Permit only these purposes (``odrl:purpose isAnyOf [...]``; sub-purposes are covered).

        Raises:
            ConfigurationError: No purpose given, or an Art 54 purpose among them.
        """
        if not allowed:
            raise ConfigurationError("give at least one purpose")
        for item in allowed:
            found = purposes.get(str(item))
            if found is not None and found.prohibited:
                raise ConfigurationError(
                    f"{found.label} is prohibited by EHDS {found.article}; it cannot be permitted"
                )
        return self.add(constraint(operands.PURPOSE, "isAnyOf", [_purpose_ref(p) for p in allowed]))

    def dac_or_permit(self) -> PolicyBuilder:
        """Require the DS4H gate ``dacApproval eq true OR permitIssued eq true``."""
        return self.add(
            any_of(
                constraint(operands.DAC_APPROVAL, "eq", True), constraint(operands.PERMIT_ISSUED, "eq", True)
            )
        )

    def valid_until(self, end: datetime) -> PolicyBuilder:
        """Limit use to ``dateTime lteq end`` and add the duty to delete the data at ``end``."""
        self.add(constraint(operands.DATE_TIME, "lteq", end))
        return self.duty("odrl:delete", constraint(operands.DATE_TIME, "gteq", end))

    def duty(self, action: str, *constraints: AnyConstraint) -> PolicyBuilder:
        """Attach a duty (an obligation that comes with the permission)."""
        self._duties.append(Duty(action=action, constraint=constraints))
        return self

    def prohibit_purposes(self, *banned: PurposeLike) -> PolicyBuilder:
        """Add a prohibition of use for these purposes (``odrl:purpose isAnyOf [...]``)."""
        refs = [_purpose_ref(p) for p in banned]
        self._prohibitions.append(
            Prohibition(action=self.action, constraint=(constraint(operands.PURPOSE, "isAnyOf", refs),))
        )
        return self

    def prohibit_art54(self) -> PolicyBuilder:
        """Prohibit every EHDS Art 54 purpose (SDK IRIs, see the vocabulary)."""
        return self.prohibit_purposes(*purposes.prohibited)

    def permission(self) -> Permission:
        """The permission built so far."""
        return Permission(action=self.action, constraint=tuple(self._constraints), duty=tuple(self._duties))

    def offer(self, id: str, *, target: str | None = None, assigner: str | None = None) -> Offer:
        """Build the offer.

        Args:
            id: The offer id (``@id``).
            target: The dataset id (write it in a ContractRequestMessage; omit it in a catalog).
            assigner: The provider's participant id.
        """
        return Offer(
            id=id,
            target=target,
            assigner=assigner,
            permission=(self.permission(),),
            prohibition=tuple(self._prohibitions),
        )


def _purpose_ref(item: PurposeLike) -> Purpose | DuoCode | str:
    return item if isinstance(item, (Purpose, DuoCode)) else expand_iri(item)


def ds4h_baseline(
    *,
    jurisdiction: str = "LU",
    organization_type: OrganizationType | str = OrganizationType.RESEARCH_ORGANIZATION,
) -> PolicyBuilder:
    """The DS4H deployment baseline: ``membershipStatus=active AND organizationType AND jurisdictionCountry``.

    Args:
        jurisdiction: The ISO 3166-1 alpha-2 country required (``"LU"``).
        organization_type: The organisation type required.
    """
    return (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .require(operands.ORGANIZATION_TYPE, organization_type)
        .require(operands.JURISDICTION_COUNTRY, jurisdiction)
    )


def research(
    *, allowed: Iterable[PurposeLike] = (purposes.SCIENTIFIC_RESEARCH,), gate: str = "dac_or_permit"
) -> PolicyBuilder:
    """Scientific research (Art 53(1)(e)) for active EU/EEA members, gated by a DAC approval or a permit.

    Args:
        allowed: The permitted purposes (default: scientific research, which covers (e)(i) and (e)(ii)).
        gate: ``"dac_or_permit"`` (the DS4H pattern), ``"permit"`` (an Art 68 data permit) or ``"dac"``.

    Raises:
        ConfigurationError: Unknown ``gate``.
    """
    builder = (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .require(operands.EU_EEA_STATUS, EuEeaStatus.EU_MEMBER_STATE)
        .purposes(*allowed)
    )
    if gate == "dac_or_permit":
        builder.dac_or_permit()
    elif gate == "permit":
        builder.require(operands.PERMIT_ISSUED, True)
    elif gate == "dac":
        builder.require(operands.DAC_APPROVAL, True)
    else:
        raise ConfigurationError(f"unknown gate {gate!r}; use 'dac_or_permit', 'permit' or 'dac'")
    return builder.prohibit_art54()


def statistics_request(*, allowed: Iterable[PurposeLike] = (purposes.SCIENTIFIC_RESEARCH,)) -> PolicyBuilder:
    """A health data request (Art 69): anonymised statistical output only, no record-level access.

    Args:
        allowed: The permitted Art 53(1) purposes.
    """
    return (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .purposes(*allowed)
        .require(operands.DATA_FORMAT, DataFormat.STATISTICAL)
        .prohibit_art54()
    )


def ai_training() -> PolicyBuilder:
    """Training, testing and evaluation of health algorithms and AI systems (Art 53(1)(e)(ii)).

    Record-level data for model training: a data permit or DAC approval, processing inside a secure
    processing environment (Art 73), public ownership, and the Art 54 prohibitions.
    """
    return (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .require(operands.ORGANIZATION_OWNERSHIP_TYPE, OrganizationOwnershipType.PUBLIC)
        .purposes(purposes.ALGORITHM_TRAINING)
        .dac_or_permit()
        .require(operands.PROCESSING_ENVIRONMENT, "spe")
        .prohibit_art54()
    )


_PUBLIC_SECTOR_DEFAULT = (
    purposes.PUBLIC_INTEREST_HEALTH,
    purposes.PUBLIC_POLICY_MAKING,
    purposes.REGULATORY_ACTIVITIES,
    purposes.OFFICIAL_STATISTICS,
)


def public_sector(*, allowed: Iterable[Purpose] = _PUBLIC_SECTOR_DEFAULT) -> PolicyBuilder:
    """Purposes Art 53(2) reserves to public sector bodies ((a)-(c)): public ownership required.

    Args:
        allowed: Art 53(1)(a)-(c) purposes.

    Raises:
        ConfigurationError: A purpose outside Art 53(1)(a)-(c).
    """
    chosen = tuple(allowed)
    for item in chosen:
        if not item.public_sector_only:
            raise ConfigurationError(f"{item.label} ({item.article}) is not reserved to the public sector")
    return (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .require(operands.ORGANIZATION_OWNERSHIP_TYPE, OrganizationOwnershipType.PUBLIC)
        .purposes(*chosen)
        .prohibit_art54()
    )
