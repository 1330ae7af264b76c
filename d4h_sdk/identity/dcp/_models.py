"""DCP v1.0 messages as immutable pydantic models mirroring the ``dspace-dcp`` JSON Schemas.

Every message accepts ``type`` or ``@type`` (IdentityHub's OpenAPI examples use ``@type``) and writes
``type``; ``@context`` is an array that must contain :data:`DCP_CONTEXT` (a single string is accepted and
read as a one-element array). Unknown members are kept. :meth:`DcpMessage.to_json` gives the wire form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DCP_CONTEXT",
    "CredentialContainer",
    "CredentialMessage",
    "CredentialObject",
    "CredentialOfferMessage",
    "CredentialRequest",
    "CredentialRequestMessage",
    "CredentialStatus",
    "DcpMessage",
    "IssuerMetadata",
    "PresentationQueryMessage",
    "PresentationResponseMessage",
]

DCP_CONTEXT = "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"
"""The DCP v1.0 JSON-LD context every DCP message lists in ``@context``."""


def _type_alias(data: Any) -> Any:
    """Read ``@type`` as ``type``; both together must agree."""
    if isinstance(data, Mapping) and "@type" in data:
        data = dict(data)
        at_type = data.pop("@type")
        if "type" in data and data["type"] != at_type:
            raise ValueError(f"'type' {data['type']!r} and '@type' {at_type!r} disagree")
        data["type"] = at_type
    return data


class _DcpModel(BaseModel):
    """Common behaviour: immutable, ``@type`` accepted for ``type``, wire names on output."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="before")
    @classmethod
    def _accept_at_type(cls, data: Any) -> Any:
        return _type_alias(data)

    def to_json(self) -> dict[str, Any]:
        """The message as a JSON-ready dict with the wire (camelCase) names and without unset members.

        Returns:
            The dict.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class DcpMessage(_DcpModel):
    """Base of the top-level DCP messages: a ``@context`` that contains :data:`DCP_CONTEXT`.

    ``@context`` defaults to ``[DCP_CONTEXT]`` so that messages can be built in code; the schemas require
    it on the wire, which :class:`~d4h_sdk.identity.dcp.PresentationResponder` enforces for inbound queries.

    Attributes:
        context: The ``@context`` array.
    """

    context: tuple[str, ...] = Field(default=(DCP_CONTEXT,), alias="@context")

    @field_validator("context", mode="before")
    @classmethod
    def _context_array(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, (list, tuple)) and DCP_CONTEXT not in value:
            raise ValueError(f"'@context' must contain {DCP_CONTEXT!r}")
        return value


class PresentationQueryMessage(DcpMessage):
    """``POST <credential service>/presentations/query``: ask for presentations by scope or definition.

    Exactly one of :attr:`scope` (non-empty) and :attr:`presentation_definition` must be given (both -> the
    Credential Service answers 400).

    Attributes:
        type: ``PresentationQueryMessage``.
        scope: Scope strings (see :class:`~d4h_sdk.identity.dcp.Scope`).
        presentation_definition: A DIF Presentation Exchange definition.
    """

    type: Literal["PresentationQueryMessage"] = "PresentationQueryMessage"
    scope: tuple[str, ...] | None = None
    presentation_definition: dict[str, Any] | None = Field(default=None, alias="presentationDefinition")

    @model_validator(mode="after")
    def _exactly_one(self) -> PresentationQueryMessage:
        if (self.scope is None) == (self.presentation_definition is None):
            raise ValueError("give exactly one of 'scope' and 'presentationDefinition'")
        if self.scope is not None and not self.scope:
            raise ValueError("'scope' must not be empty")
        return self


class PresentationResponseMessage(DcpMessage):
    """The Credential Service's answer: JWT VPs (strings) and/or LDP VPs (objects).

    Attributes:
        type: ``PresentationResponseMessage``.
        presentation: The presentations.
        presentation_submission: The DIF Presentation Exchange submission, if any.
    """

    type: Literal["PresentationResponseMessage"] = "PresentationResponseMessage"
    presentation: tuple[Union[str, dict[str, Any]], ...]  # noqa: UP007 - pydantic evaluates it on 3.10
    presentation_submission: dict[str, Any] | None = Field(default=None, alias="presentationSubmission")


class CredentialRequest(_DcpModel):
    """One requested credential of a :class:`CredentialRequestMessage`.

    Attributes:
        id: The id of a :class:`CredentialObject` from the issuer's metadata.
    """

    id: str


class CredentialRequestMessage(DcpMessage):
    """Holder -> issuer ``POST /credentials``: request credentials.

    Attributes:
        type: ``CredentialRequestMessage``.
        holder_pid: The holder's id for this request.
        credentials: The requested credential objects.
    """

    type: Literal["CredentialRequestMessage"] = "CredentialRequestMessage"
    holder_pid: str = Field(alias="holderPid")
    credentials: tuple[CredentialRequest, ...]


class CredentialContainer(_DcpModel):
    """One delivered credential of a :class:`CredentialMessage`.

    Attributes:
        credential_type: The credential type, e.g. ``MembershipCredential``.
        payload: The credential: a JWT or serialised JSON-LD.
        format: ``jwt``, ``json-ld``, ...
    """

    credential_type: str = Field(alias="credentialType")
    payload: str
    format: str


class CredentialMessage(DcpMessage):
    """Issuer -> holder ``POST /credentials`` on the Credential Service: issued credentials or a rejection.

    Attributes:
        type: ``CredentialMessage``.
        issuer_pid: The issuer's id for the request.
        holder_pid: The holder's id for the request.
        status: ``ISSUED`` or ``REJECTED``.
        credentials: The delivered credentials.
        rejection_reason: Why the request was rejected.
    """

    type: Literal["CredentialMessage"] = "CredentialMessage"
    issuer_pid: str = Field(alias="issuerPid")
    holder_pid: str | None = Field(default=None, alias="holderPid")
    status: Literal["ISSUED", "REJECTED"]
    credentials: tuple[CredentialContainer, ...] | None = None
    rejection_reason: str | None = Field(default=None, alias="rejectionReason")


class CredentialObject(_DcpModel):
    """A credential an issuer supports or offers.

    Attributes:
        context: The ``@context`` when the object stands alone (optional).
        id: The id used in a :class:`CredentialRequest`.
        type: ``CredentialObject``.
        credential_type: The credential type, e.g. ``MembershipCredential``.
        credential_schema: URL of the credential's schema.
        offer_reason: ``reissue``, ``proof-key-revocation``, ...
        binding_methods: Holder binding methods, e.g. ``["did:web"]``.
        profile: The DCP profile, e.g. ``vc20-bssl/jwt``.
        issuance_policy: A DIF Presentation Exchange definition the holder must satisfy.
    """

    context: tuple[str, ...] | None = Field(default=None, alias="@context")
    id: str
    type: Literal["CredentialObject"] = "CredentialObject"
    credential_type: str | None = Field(default=None, alias="credentialType")
    credential_schema: str | None = Field(default=None, alias="credentialSchema")
    offer_reason: str | None = Field(default=None, alias="offerReason")
    binding_methods: tuple[str, ...] | None = Field(default=None, alias="bindingMethods")
    profile: str | None = None
    issuance_policy: dict[str, Any] | None = Field(default=None, alias="issuancePolicy")


class CredentialOfferMessage(DcpMessage):
    """Issuer -> holder ``POST /offers``: credentials the holder may request.

    Attributes:
        type: ``CredentialOfferMessage``.
        issuer: The issuer DID.
        credentials: The offered credential objects.
    """

    type: Literal["CredentialOfferMessage"] = "CredentialOfferMessage"
    issuer: str
    credentials: tuple[CredentialObject, ...]


class CredentialStatus(DcpMessage):
    """Issuer ``GET /requests/<id>``: where a credential request stands.

    Attributes:
        type: ``CredentialStatus``.
        issuer_pid: The issuer's id for the request.
        holder_pid: The holder's id for the request.
        status: ``RECEIVED``, ``REJECTED`` or ``ISSUED``.
    """

    type: Literal["CredentialStatus"] = "CredentialStatus"
    issuer_pid: str = Field(alias="issuerPid")
    holder_pid: str = Field(alias="holderPid")
    status: Literal["RECEIVED", "REJECTED", "ISSUED"]


class IssuerMetadata(DcpMessage):
    """Issuer ``GET /metadata``: who issues which credentials.

    Attributes:
        type: ``IssuerMetadata``.
        issuer: The issuer DID.
        credentials_supported: The credential objects it issues.
    """

    type: Literal["IssuerMetadata"] = "IssuerMetadata"
    issuer: str
    credentials_supported: tuple[CredentialObject, ...] = Field(alias="credentialsSupported")
