"""DCP scopes: ``<alias>:<discriminator>[:<operation>]`` in the three families data spaces use.

* DCP spec: ``org.eclipse.dspace.dcp.vc.type:MembershipCredential`` (and ``...vc.id:<credential id>``);
* IdentityHub / EDC: the same with an operation, ``...:MembershipCredential:read`` (``read``, ``write``,
  ``all`` or ``*``); the discriminator may be ``<context url>#<Type>``;
* Tractus-X ``org.eclipse.tractusx.vc.type:BpnCredential:read`` and the IATP-era
  ``org.eclipse.edc.vc.type:MembershipCredential:read``.

The alias is everything before the first ``:`` (aliases are dotted names without colons), the operation a
trailing ``:read|write|all|*``, the discriminator what lies between, colons included.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from d4h_sdk.errors import ConfigurationError

__all__ = [
    "DCP_ID_ALIAS",
    "DCP_TYPE_ALIAS",
    "EDC_LEGACY_TYPE_ALIAS",
    "OPERATIONS",
    "TRACTUSX_TYPE_ALIAS",
    "Scope",
]

DCP_TYPE_ALIAS = "org.eclipse.dspace.dcp.vc.type"
"""The DCP alias selecting credentials by type."""
DCP_ID_ALIAS = "org.eclipse.dspace.dcp.vc.id"
"""The DCP alias selecting one credential by id."""
TRACTUSX_TYPE_ALIAS = "org.eclipse.tractusx.vc.type"
"""The Tractus-X (Catena-X) type alias."""
EDC_LEGACY_TYPE_ALIAS = "org.eclipse.edc.vc.type"
"""The type alias of IATP-era EDC samples."""
OPERATIONS: frozenset[str] = frozenset({"read", "write", "all", "*"})
"""Operation suffixes IdentityHub understands."""

_WILDCARD_OPERATIONS = frozenset({"all", "*"})


@dataclass(frozen=True)
class Scope:
    """One scope: which credentials a verifier may see.

    Attributes:
        alias: The scope alias, e.g. ``org.eclipse.dspace.dcp.vc.type``.
        discriminator: A credential type (optionally ``<context url>#<Type>``) or, for an id alias, an id.
        operation: ``read``, ``write``, ``all``, ``*`` or ``None`` (the DCP spec form has none).

    Raises:
        ConfigurationError: An empty part, an alias with ``:`` or whitespace, or an unknown operation.
    """

    alias: str
    discriminator: str
    operation: str | None = None

    def __post_init__(self) -> None:
        if not self.alias or ":" in self.alias or _has_space(self.alias):
            raise ConfigurationError(f"scope alias {self.alias!r} must be a non-empty name without ':'")
        discriminator = self.discriminator
        if not discriminator or _has_space(discriminator) or ":" in (discriminator[0], discriminator[-1]):
            raise ConfigurationError(
                f"scope discriminator {discriminator!r} must be non-empty, without whitespace and "
                "without a leading or trailing ':'"
            )
        if self.operation is not None and self.operation not in OPERATIONS:
            raise ConfigurationError(f"scope operation {self.operation!r} is not one of {sorted(OPERATIONS)}")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse a scope string of any of the three families.

        Args:
            text: E.g. ``org.eclipse.dspace.dcp.vc.type:MembershipCredential:read``.

        Returns:
            The scope.

        Raises:
            ConfigurationError: The text is not ``<alias>:<discriminator>[:<operation>]``.
        """
        if not isinstance(text, str) or _has_space(text):
            raise ConfigurationError(f"a scope is one string without whitespace, got {str(text)[:100]!r}")
        alias, sep, rest = text.partition(":")
        if not sep or not alias or not rest:
            raise ConfigurationError(f"scope {text[:100]!r} is not '<alias>:<discriminator>[:<operation>]'")
        operation: str | None = None
        head, sep, tail = rest.rpartition(":")
        if sep and tail in OPERATIONS and head:
            rest, operation = head, tail
        return cls(alias, rest, operation)

    @classmethod
    def for_type(
        cls, credential_type: str, *, alias: str = DCP_TYPE_ALIAS, operation: str | None = "read"
    ) -> Scope:
        """The scope asking for credentials of one type.

        Args:
            credential_type: E.g. ``MembershipCredential``.
            alias: The data space's type alias.
            operation: The operation suffix; ``None`` for the bare DCP spec form.

        Returns:
            The scope.
        """
        return cls(alias, credential_type, operation)

    def __str__(self) -> str:
        text = f"{self.alias}:{self.discriminator}"
        return text if self.operation is None else f"{text}:{self.operation}"

    @property
    def is_type_scope(self) -> bool:
        """Whether the scope selects credentials by type (an alias ending in ``.type``)."""
        return self.alias.endswith(".type")

    @property
    def is_id_scope(self) -> bool:
        """Whether the scope selects one credential by id (an alias ending in ``.id``)."""
        return self.alias.endswith(".id")

    @property
    def credential_type(self) -> str | None:
        """The credential type a type scope asks for (the part after ``#`` of a ``<context>#<Type>``)."""
        if not self.is_type_scope:
            return None
        return self.discriminator.rpartition("#")[2] or self.discriminator

    def matches_credential(self, types: Collection[str], credential_id: str | None = None) -> bool:
        """Whether a credential with these types (and id) is selected by this scope.

        Args:
            types: The credential's ``type`` values (short names or IRIs).
            credential_id: The credential's id, for id scopes.

        Returns:
            ``True`` when a type scope names one of ``types`` (as a short name or the full discriminator),
            or an id scope names ``credential_id``.
        """
        if self.is_type_scope:
            return self.credential_type in types or self.discriminator in types
        if self.is_id_scope:
            return credential_id is not None and credential_id == self.discriminator
        return False

    def covers(self, requested: Scope) -> bool:
        """Whether this granted scope allows the requested one.

        The alias and discriminator must be equal; an operation of ``None`` counts as ``read``; ``all`` and
        ``*`` cover every operation.

        Args:
            requested: The scope asked for.

        Returns:
            ``True`` when granted.
        """
        if (self.alias, self.discriminator) != (requested.alias, requested.discriminator):
            return False
        granted = self.operation or "read"
        return granted in _WILDCARD_OPERATIONS or granted == (requested.operation or "read")


def _has_space(text: str) -> bool:
    return any(ch.isspace() for ch in text)
