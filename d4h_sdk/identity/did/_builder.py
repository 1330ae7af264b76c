"""Build a participant's ``did.json``: JsonWebKey2020 methods, relationships, DCP and DSP services."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.did._document import RELATIONSHIPS, DidDocument, private_jwk_members
from d4h_sdk.identity.did._web import parse_did_web

__all__ = ["DEFAULT_RELATIONSHIPS", "DID_CONTEXTS", "build_did_document"]

DID_CONTEXTS: tuple[str, ...] = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/jws-2020/v1",
)
"""The ``@context`` of a built document: DID Core v1 and the JsonWebSignature2020 suite (JsonWebKey2020)."""

DEFAULT_RELATIONSHIPS: tuple[str, ...] = ("authentication", "assertionMethod", "capabilityInvocation")
"""Relationships every key is listed under: VPs (authentication), credential proofs (assertionMethod) and
DCP self-issued ID tokens (capabilityInvocation), so strict DCP verifiers and lax EDC peers both accept it."""

_FRAGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]+")
_CATALOG_ENDPOINT = re.compile(r"https?://.*?/catalog")


def _key_id(did: str, key: str) -> str:
    if key.startswith(did + "#"):
        fragment = key[len(did) + 1 :]
    elif key.startswith("did:"):
        raise ConfigurationError(f"key id {key!r} is not under {did}; use '{did}#<fragment>' or a fragment")
    else:
        fragment = key.removeprefix("#")
    if not _FRAGMENT.fullmatch(fragment):
        raise ConfigurationError(
            f"key id fragment {fragment!r} is empty or has characters not allowed in a URL"
        )
    return f"{did}#{fragment}"


def _public_jwk(key_id: str, jwk: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kty"), str):
        raise ConfigurationError(f"the key for {key_id} must be a JWK with a 'kty' member")
    private = private_jwk_members(jwk)
    if private:
        raise ConfigurationError(
            f"the JWK for {key_id} contains private members {private}; pass the public key "
            "(Signer.public_jwk()), never the private one"
        )
    return dict(jwk)


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.fragment:
        raise ConfigurationError(f"{name} must be an absolute https URL without fragment, got {value!r}")
    return value


def build_did_document(
    did: str,
    *,
    keys: Sequence[tuple[str, Mapping[str, Any]]],
    credential_service: str | None = None,
    dsp_endpoint: str | None = None,
    catalog_endpoint: str | None = None,
    relationships: Sequence[str] = DEFAULT_RELATIONSHIPS,
) -> dict[str, Any]:
    """Build the ``did.json`` of a participant, ready to serve at ``did_web_to_url(did)``.

    Every key becomes a ``JsonWebKey2020`` verification method controlled by ``did`` and is listed under each
    of ``relationships``. Services get the ids ``#credential-service``, ``#dsp`` and ``#catalog``.

    Args:
        did: The participant's did:web DID.
        keys: ``(key id, public JWK)`` pairs; the key id is a fragment (``key-1`` or ``#key-1``) or the full
            DID URL (``did:web:hospital.example#key-1``), matching the ``kid`` its Signer puts in tokens.
        credential_service: Base URL of the DCP Credential Service (type ``CredentialService``), e.g.
            ``https://ih.hospital.example/api/credentials/v1/participants/<id>``.
        dsp_endpoint: A DSP 2025-1 ``DataService`` entry: the URL of the connector's version metadata, e.g.
            ``https://connector.hospital.example/.well-known/dspace-version`` (as in the DSP example).
        catalog_endpoint: A DSP 2025-1 ``CatalogService`` entry: a catalog URL ending in ``/catalog``, the
            pattern the DSP schema requires, e.g. ``https://connector.hospital.example/api/dsp/catalog``.
        relationships: Verification relationships to list every key under (DID Core names).

    Returns:
        The DID document as a JSON-ready dict.

    Raises:
        ConfigurationError: An invalid DID, key id, JWK (private members included), URL or relationship.
    """
    parse_did_web(did)
    if not keys:
        raise ConfigurationError("a DID document needs at least one key")
    unknown = [r for r in relationships if r not in RELATIONSHIPS]
    if unknown:
        raise ConfigurationError(
            f"unknown relationships {unknown}; use DID Core names {sorted(RELATIONSHIPS)}"
        )
    methods: list[dict[str, Any]] = []
    for key, jwk in keys:
        key_id = _key_id(did, key)
        if any(m["id"] == key_id for m in methods):
            raise ConfigurationError(f"key id {key_id} is given twice")
        methods.append(
            {
                "id": key_id,
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": _public_jwk(key_id, jwk),
            }
        )
    document: dict[str, Any] = {"@context": list(DID_CONTEXTS), "id": did, "verificationMethod": methods}
    for relationship in dict.fromkeys(relationships):
        document[relationship] = [m["id"] for m in methods]
    services: list[dict[str, Any]] = []
    if credential_service is not None:
        services.append(
            _service(did, "credential-service", "CredentialService", credential_service, "credential_service")
        )
    if dsp_endpoint is not None:
        services.append(_service(did, "dsp", "DataService", dsp_endpoint, "dsp_endpoint"))
    if catalog_endpoint is not None:
        if not _CATALOG_ENDPOINT.fullmatch(catalog_endpoint):
            raise ConfigurationError(
                "catalog_endpoint must end with '/catalog' (DSP 2025-1 did-service schema), "
                f"got {catalog_endpoint!r}"
            )
        services.append(_service(did, "catalog", "CatalogService", catalog_endpoint, "catalog_endpoint"))
    if services:
        document["service"] = services
    try:
        DidDocument.model_validate(document)
    except ValidationError as exc:
        raise ConfigurationError(f"the built DID document is not valid: {exc.errors()[0]['msg']}") from exc
    return document


def _service(did: str, fragment: str, service_type: str, url: str, option: str) -> dict[str, Any]:
    return {"id": f"{did}#{fragment}", "type": service_type, "serviceEndpoint": _url(option, url)}
