"""Finding the public key of a verification method: an explicit key, did:key, or a DID resolver."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from d4h_sdk.errors import ConfigurationError, DidResolutionError, UntrustedIssuerError
from d4h_sdk.identity.did import DidDocument, DidResolver
from d4h_sdk.identity.vc._multibase import did_key_document

__all__ = [
    "RelationshipPolicy",
    "check_trusted",
    "controller_did",
    "issuer_id",
    "resolve_document",
    "resolve_key",
]

RelationshipPolicy = Literal["strict", "lax"]
"""``strict``: the key must be listed under the required verification relationship; ``lax``: any
verification method of the DID document (stock EDC / IdentityHub documents list no relationships)."""


def controller_did(kid: str) -> str:
    """The DID part of a DID URL (``did:web:a.example#key-1`` -> ``did:web:a.example``)."""
    return kid.split("#", 1)[0]


def resolve_document(did: str, resolver: DidResolver | None) -> DidDocument:
    """Resolve a DID: did:key locally, anything else through ``resolver``.

    Raises:
        ConfigurationError: A resolver is needed but none was given.
        DidResolutionError: The DID could not be resolved.
    """
    if did.startswith("did:key:"):
        return did_key_document(did)
    if not did.startswith("did:"):
        raise DidResolutionError(f"{did!r} is not a DID; the verification key cannot be resolved")
    if resolver is None:
        raise ConfigurationError(f"resolving {did} needs a DID resolver (resolver=...) or an explicit key")
    return resolver.resolve(did)


def resolve_key(
    kid: str,
    *,
    relationship: str,
    resolver: DidResolver | None,
    policy: RelationshipPolicy,
) -> dict[str, Any]:
    """The public JWK of the verification method ``kid``, checked against a relationship.

    Raises:
        ConfigurationError: ``policy`` is unknown or no resolver is available.
        DidResolutionError: The controller DID could not be resolved.
        VerificationMethodError: No such method, no usable key, or not in the relationship (strict).
    """
    if policy not in ("strict", "lax"):
        raise ConfigurationError(f"relationship_policy must be 'strict' or 'lax', got {policy!r}")
    document = resolve_document(controller_did(kid), resolver)
    return document.key_for(kid, relationship, lax=policy == "lax")


def check_trusted(issuer: str, trusted: Collection[str] | None, what: str) -> None:
    """Refuse an issuer outside the trusted list (when one is given).

    Raises:
        UntrustedIssuerError: ``trusted`` is given and does not contain ``issuer``.
    """
    if trusted is not None and issuer not in trusted:
        raise UntrustedIssuerError(f"{what} was issued by {issuer!r}, which is not a trusted issuer")


def issuer_id(value: object) -> str | None:
    """The id of a credential's ``issuer`` (a string or an object with ``id``), or ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
