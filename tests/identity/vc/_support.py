"""Shared helpers for the vc tests: fixture files, a loader with the example contexts, keys and DIDs."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from d4h_sdk.identity.did import StaticDidResolver
from d4h_sdk.identity.did._multikey import base58btc_decode
from d4h_sdk.identity.signing import LocalKeySigner
from d4h_sdk.jsonld import DocumentLoader
from d4h_sdk.testing import FakeSigner

ISSUER = "did:web:issuer.example"
HOLDER = "did:web:holder.example"
VERIFIER = "did:web:verifier.example"
NOW = 1_750_000_000.0

# A hand-written, test-only stand-in for https://w3id.org/citizenship/v4rc1 (not among the fixtures): it
# defines exactly the terms the employment-authorisation vector uses, with the IRIs and datatypes that the
# vector's canonical N-Quads (canonDocDataInt.txt) show; the tests compare against that file.
CITIZENSHIP_V4RC1: dict[str, Any] = {
    "@context": {
        "@protected": True,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "schema": "https://schema.org/",
        "cit": "https://w3id.org/citizenship#",
        "image": {"@id": "schema:image", "@type": "@id"},
        "Person": "schema:Person",
        "EmployablePerson": {
            "@id": "cit:EmployablePerson",
            "@context": {
                "@protected": True,
                "givenName": "schema:givenName",
                "additionalName": "schema:additionalName",
                "familyName": "schema:familyName",
                "gender": "schema:gender",
                "image": {"@id": "schema:image", "@type": "@id"},
                "residentSince": {"@id": "cit:residentSince", "@type": "xsd:dateTime"},
                "birthCountry": "cit:birthCountry",
                "birthDate": {"@id": "schema:birthDate", "@type": "xsd:dateTime"},
                "employmentAuthorizationDocument": {"@id": "cit:employmentAuthorizationDocument"},
            },
        },
        "EmploymentAuthorizationDocument": {
            "@id": "cit:EmploymentAuthorizationDocument",
            "@context": {
                "@protected": True,
                "identifier": "schema:identifier",
                "lprCategory": "cit:lprCategory",
                "lprNumber": "cit:lprNumber",
            },
        },
        "EmploymentAuthorizationDocumentCredential": "cit:EmploymentAuthorizationDocumentCredential",
    }
}


def vc_dir(shared: Path) -> Path:
    """The fixtures/vc folder."""
    return shared / "vc"


def load(path: Path) -> Any:
    """Parse a JSON fixture file."""
    return json.loads(path.read_text(encoding="utf-8"))


def example_loader(shared: Path) -> DocumentLoader:
    """A loader serving the example contexts from the fixtures (never bundled) plus the citizenship stand-in."""
    contexts = vc_dir(shared) / "contexts"
    return DocumentLoader(
        documents={
            "https://www.w3.org/ns/credentials/examples/v2": load(
                contexts / "credentials-examples-v2.jsonld"
            ),
            "https://www.w3.org/2018/credentials/examples/v1": load(
                contexts / "credentials-examples-v1.jsonld"
            ),
            "https://w3id.org/citizenship/v4rc1": CITIZENSHIP_V4RC1,
        }
    )


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def ed25519_signer(key_pair: Mapping[str, str], key_id: str) -> LocalKeySigner:
    """A LocalKeySigner from a vc-di-eddsa key pair (multibase public and private keys)."""
    public = base58btc_decode(key_pair["publicKeyMultibase"][1:])
    private = base58btc_decode(key_pair["privateKeyMultibase"][1:])
    assert public[:2] == b"\xed\x01" and private[:2] == b"\x80\x26"
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public[2:]), "d": b64url(private[2:])}
    return LocalKeySigner(jwk, key_id=key_id)


def fake(did: str, kind: str = "Ed25519", fragment: str = "key-1") -> FakeSigner:
    """A deterministic signer for a DID."""
    return FakeSigner(kind, key_id=f"{did}#{fragment}", seed=f"{did}/{kind}/{fragment}".encode())


def resolver_for(*signers: FakeSigner, relationships: tuple[str, ...] | None = None) -> StaticDidResolver:
    """A resolver whose DID documents hold the signers' public keys."""
    documents: dict[str, Any] = {}
    for signer in signers:
        did, fragment = signer.key_id.split("#", 1)
        method = {
            "id": signer.key_id,
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": dict(signer.public_jwk()),
        }
        doc = documents.setdefault(did, {"@context": ["https://www.w3.org/ns/did/v1"], "id": did})
        doc.setdefault("verificationMethod", []).append(method)
        for relationship in (
            relationships if relationships is not None else ("authentication", "assertionMethod")
        ):
            doc.setdefault(relationship, []).append(signer.key_id)
    return StaticDidResolver(documents)


__all__ = [
    "CITIZENSHIP_V4RC1",
    "HOLDER",
    "ISSUER",
    "NOW",
    "VERIFIER",
    "b64url",
    "ed25519_signer",
    "example_loader",
    "fake",
    "load",
    "resolver_for",
    "vc_dir",
]
