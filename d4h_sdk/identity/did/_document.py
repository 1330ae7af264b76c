"""The DID document model: verification methods normalised to JWKs, relationships as ids, services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.did._errors import VerificationMethodError
from d4h_sdk.identity.did._multikey import (
    MultikeyError,
    base58btc_decode,
    multibase_to_jwk,
    raw_ed25519_to_jwk,
)

__all__ = ["RELATIONSHIPS", "DidDocument", "Service", "VerificationMethod", "private_jwk_members"]

RELATIONSHIPS: Mapping[str, str] = {
    "authentication": "authentication",
    "assertionMethod": "assertion_method",
    "capabilityInvocation": "capability_invocation",
    "capabilityDelegation": "capability_delegation",
    "keyAgreement": "key_agreement",
}
"""Verification relationships: the DID Core property name -> the :class:`DidDocument` field name."""

_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

_CONFIG = ConfigDict(frozen=True, extra="allow", populate_by_name=True, serialize_by_alias=True)


def private_jwk_members(jwk: Mapping[str, Any]) -> list[str]:
    """The private (or symmetric) members a JWK carries, sorted; empty for a public key.

    Args:
        jwk: A JWK.

    Returns:
        Names such as ``["d"]``.
    """
    return sorted(_PRIVATE_MEMBERS & set(jwk))


def _absolute(ref: str, base: str) -> str:
    """Resolve a relative DID URL (``#frag``) against the document id; absolute ids stay as they are."""
    if ref.startswith("#"):
        return base + ref
    return ref


def _normalise_method(raw: object, base: str) -> object:
    if not isinstance(raw, Mapping):
        return raw
    method = dict(raw)
    if isinstance(method.get("id"), str):
        method["id"] = _absolute(method["id"], base)
    if isinstance(method.get("controller"), str) and method["controller"]:
        method["controller"] = _absolute(method["controller"], base)
    return method


class VerificationMethod(BaseModel):
    """A verification method, its key material normalised to a public JWK.

    ``publicKeyJwk`` is used as given (JsonWebKey2020, JsonWebKey, EcdsaSecp256k1VerificationKey2019, ...);
    a ``publicKeyMultibase`` (Multikey, Ed25519VerificationKey2020) with a supported prefix and an
    Ed25519VerificationKey2018 ``publicKeyBase58`` are converted, so :attr:`public_key_jwk` is the one place
    to read the key from. A converted JWK is also written when the model is dumped.

    Attributes:
        id: The absolute DID URL of the method (relative ``#frag`` ids are resolved against the document).
        type: The method type, e.g. ``JsonWebKey2020``, ``Multikey``.
        controller: The controlling DID, if given.
        public_key_jwk: The public key as a JWK, or ``None`` if the key type is not supported.
        public_key_multibase: The Multikey value, if the document used one.
    """

    model_config = _CONFIG

    id: str
    type: str
    controller: str | None = None
    public_key_jwk: dict[str, Any] | None = Field(default=None, alias="publicKeyJwk")
    public_key_multibase: str | None = Field(default=None, alias="publicKeyMultibase")

    @model_validator(mode="before")
    @classmethod
    def _derive_jwk(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        jwk = data.get("publicKeyJwk", data.get("public_key_jwk"))
        if jwk is not None:
            if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kty"), str):
                raise ValueError("publicKeyJwk must be a JSON object with a 'kty' member")
            private = private_jwk_members(jwk)
            if private:
                raise ValueError(
                    f"publicKeyJwk contains private key members {private}; publish public keys only"
                )
            return data
        try:
            multibase = data.get("publicKeyMultibase", data.get("public_key_multibase"))
            if isinstance(multibase, str):
                data["publicKeyJwk"] = multibase_to_jwk(multibase)
            elif data.get("type") == "Ed25519VerificationKey2018" and isinstance(
                data.get("publicKeyBase58"), str
            ):
                data["publicKeyJwk"] = raw_ed25519_to_jwk(base58btc_decode(data["publicKeyBase58"]))
        except MultikeyError as exc:
            raise ValueError(f"verification method key material is malformed: {exc}") from exc
        return data


class Service(BaseModel):
    """A service entry of a DID document.

    Attributes:
        id: The absolute id of the service (relative ``#frag`` ids are resolved against the document).
        type: The service type, or several.
        service_endpoint: A URL, a map, or a list of URLs and maps.
    """

    model_config = _CONFIG

    id: str
    type: Union[str, list[str]]  # noqa: UP007 - pydantic evaluates annotations at runtime on Python 3.10
    service_endpoint: Union[str, dict[str, Any], list[Union[str, dict[str, Any]]]] = Field(  # noqa: UP007
        alias="serviceEndpoint"
    )

    def has_type(self, service_type: str) -> bool:
        """Whether the service is of ``service_type``.

        Args:
            service_type: A type such as ``CredentialService``.

        Returns:
            ``True`` when ``type`` is or contains it.
        """
        return self.type == service_type if isinstance(self.type, str) else service_type in self.type


def _relationship_entries(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


class DidDocument(BaseModel):
    """A DID document (DID Core 1.0 / Controlled Identifiers 1.0), immutable.

    Parsing normalises what verifiers need: relative ids (``#key-1``, as in EDC's documents) become absolute
    against :attr:`id` (a JSON-LD ``@base`` is not used); methods embedded in a relationship are moved into
    :attr:`verification_method` and the relationship keeps their id; Multikey keys become JWKs. Unknown
    properties are kept. A JWK with private members makes the document invalid.

    Attributes:
        context: The ``@context``, if any.
        id: The DID the document describes.
        controller: The controlling DID(s), if given.
        verification_method: The verification methods.
        authentication: Ids of the methods for authentication (DCP: verifiable presentations).
        assertion_method: Ids of the methods for assertions (credential proofs).
        capability_invocation: Ids of the methods for capability invocation (DCP: self-issued ID tokens).
        capability_delegation: Ids of the methods for capability delegation.
        key_agreement: Ids of the methods for key agreement.
        service: The service entries.
    """

    model_config = _CONFIG

    context: Any = Field(default=None, alias="@context")
    id: str
    controller: Union[str, list[str], None] = None  # noqa: UP007
    verification_method: tuple[VerificationMethod, ...] = Field(default=(), alias="verificationMethod")
    authentication: tuple[str, ...] = ()
    assertion_method: tuple[str, ...] = Field(default=(), alias="assertionMethod")
    capability_invocation: tuple[str, ...] = Field(default=(), alias="capabilityInvocation")
    capability_delegation: tuple[str, ...] = Field(default=(), alias="capabilityDelegation")
    key_agreement: tuple[str, ...] = Field(default=(), alias="keyAgreement")
    service: tuple[Service, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        base = data.get("id")
        if not isinstance(base, str) or not base.startswith("did:") or base.count(":") < 2:
            raise ValueError("'id' must be a DID (did:<method>:<identifier>)")
        if "#" in base or "?" in base:
            raise ValueError("'id' must be a DID, without query or fragment")
        vm_key = "verificationMethod" if "verificationMethod" in data else "verification_method"
        methods = [_normalise_method(m, base) for m in _relationship_entries(data.get(vm_key))]
        known = {m.get("id") for m in methods if isinstance(m, Mapping)}
        for wire_name, field_name in RELATIONSHIPS.items():
            key = wire_name if wire_name in data else field_name
            refs: list[object] = []
            for entry in _relationship_entries(data.get(key)):
                if isinstance(entry, str):
                    refs.append(_absolute(entry, base))
                    continue
                embedded = _normalise_method(entry, base)
                if isinstance(embedded, Mapping) and isinstance(embedded.get("id"), str):
                    if embedded["id"] not in known:
                        methods.append(embedded)
                        known.add(embedded["id"])
                    refs.append(embedded["id"])
                else:
                    refs.append(embedded)  # let validation report it
            if key in data:
                data[key] = refs
        if methods:
            data[vm_key] = methods
        services = _relationship_entries(data.get("service"))
        data["service"] = [_normalise_method(s, base) for s in services]
        return data

    @model_validator(mode="after")
    def _check_ids(self) -> DidDocument:
        ids = [m.id for m in self.verification_method]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate verification method ids {duplicates}")
        return self

    def method(self, kid: str) -> VerificationMethod | None:
        """The verification method with this id.

        Args:
            kid: An absolute DID URL or a ``#fragment`` relative to this document.

        Returns:
            The method, or ``None``.
        """
        wanted = _absolute(kid, self.id)
        return next((m for m in self.verification_method if m.id == wanted), None)

    def key_for(self, kid: str, relationship: str | None = None, *, lax: bool = False) -> dict[str, Any]:
        """The public JWK of a verification method, optionally checking its relationship.

        Args:
            kid: The key id from a JWS header: an absolute DID URL under this DID or a ``#fragment``.
            relationship: ``authentication``, ``assertionMethod``, ``capabilityInvocation``,
                ``capabilityDelegation`` or ``keyAgreement`` (snake_case names work too); ``None``: no check.
            lax: Accept any verification method of the document whatever ``relationship`` says. Stock EDC /
                IdentityHub documents list keys only under ``verificationMethod``, so a strict DCP check
                rejects them; use this only for such peers.

        Returns:
            A copy of the public JWK.

        Raises:
            VerificationMethodError: The kid belongs to another DID, is unknown, has no supported key
                material, or is not in the relationship.
            ConfigurationError: ``relationship`` is not a known relationship name.
        """
        field_name = _relationship_field(relationship) if relationship is not None else None
        wanted = _absolute(kid, self.id)
        if not wanted.startswith(self.id + "#"):
            raise VerificationMethodError(
                f"key id {kid!r} is not a key of {self.id} (expected {self.id}#...)"
            )
        method = self.method(wanted)
        if method is None:
            raise VerificationMethodError(f"{self.id} has no verification method {wanted!r}")
        if field_name is not None and not lax and wanted not in getattr(self, field_name):
            raise VerificationMethodError(
                f"key {wanted!r} is not listed under {relationship!r} in the DID document of {self.id}; "
                "a peer whose documents carry no verification relationships (stock EDC) needs lax=True"
            )
        if method.public_key_jwk is None:
            raise VerificationMethodError(
                f"key {wanted!r} ({method.type}) has no supported public key material"
            )
        return dict(method.public_key_jwk)

    def service_endpoint(self, service_type: str) -> str | None:
        """The URL of the first service of a type (as EDC does for ``CredentialService``).

        A service whose endpoint is a map is skipped; for a list, its first URL is used.

        Args:
            service_type: E.g. ``CredentialService``, ``DataService``, ``CatalogService``.

        Returns:
            The endpoint URL, or ``None`` when no service of that type has one.
        """
        for service in self.service:
            if not service.has_type(service_type):
                continue
            endpoint = service.service_endpoint
            if isinstance(endpoint, str):
                return endpoint
            if isinstance(endpoint, list):
                url = next((item for item in endpoint if isinstance(item, str)), None)
                if url is not None:
                    return url
        return None

    def to_json(self) -> dict[str, Any]:
        """The document as a JSON-ready dict with the wire (camelCase) names.

        Returns:
            The dict, with absolute ids and without unset optional members.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)


def _relationship_field(relationship: str) -> str:
    if relationship in RELATIONSHIPS:
        return RELATIONSHIPS[relationship]
    if relationship in RELATIONSHIPS.values():
        return relationship
    raise ConfigurationError(
        f"unknown verification relationship {relationship!r}; use one of {sorted(RELATIONSHIPS)}"
    )
