"""The result of a HealthDCAT-AP validation: findings a data steward can act on."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict

from d4h_sdk.health.healthdcat._vocab import AccessRights

__all__ = ["Finding", "Severity", "ValidationReport"]


class Severity(str, Enum):
    """How serious a finding is: an ``ERROR`` breaks a mandatory rule, a ``WARNING`` a recommended one."""

    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """One problem in a dataset description."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    path: str
    """Where: a :class:`HealthDataset` field path (``hdab.contact_point``) or, for SHACL, the focus node."""
    property: str
    """The RDF property concerned, as a prefixed name (``healthdcatap:hdab``) or IRI; '' if none."""
    message: str
    """What is wrong and how to fix it, in plain words."""
    source: str = "builtin"
    """``"builtin"`` (the fast checker) or ``"shacl"`` (the official shapes)."""

    def __str__(self) -> str:
        return f"{self.severity.value.upper()} {self.path}: {self.message}"


class ValidationReport(BaseModel):
    """All findings for one dataset; :attr:`conforms` is true when there is no error (warnings allowed)."""

    model_config = ConfigDict(frozen=True)

    access_level: AccessRights | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def conforms(self) -> bool:
        """Whether no mandatory rule is broken."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``ERROR``."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity ``WARNING``."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def __bool__(self) -> bool:
        return self.conforms

    def __str__(self) -> str:
        level = f" for {self.access_level.name}" if self.access_level is not None else ""
        head = (
            f"{'conforms' if self.conforms else 'does not conform'}{level}: "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )
        return "\n".join([head, *(f"  {finding}" for finding in self.findings)])
