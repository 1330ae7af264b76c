"""What each Data Integrity suite hashes: proof configuration and document, canonicalised and hashed.

* ``eddsa-rdfc-2022``, ``Ed25519Signature2020``, ``JsonWebSignature2020``: the proof configuration is the
  proof without its value (``proofValue`` / ``jws``) with the ``@context`` of the document (unless the proof
  carries its own); both are canonicalised with URDNA2015 after the dropped-term check, and
  ``verifyData = SHA-256(c14n(config)) || SHA-256(c14n(document))``.
* ``eddsa-jcs-2022``: the same with JCS (RFC 8785) instead of RDF canonicalisation; when the proof has an
  ``@context``, the document's ``@context`` must start with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import InvalidClaimsError, MalformedTokenError
from d4h_sdk.identity.vc._canon import canonicalize, check_terms
from d4h_sdk.identity.vc._jcs import jcs
from d4h_sdk.jsonld import DocumentLoader

__all__ = ["SUITES", "Suite", "proof_config", "suite_of", "verify_data"]

_PROOF_VALUES = ("proofValue", "jws")


@dataclass(frozen=True)
class Suite:
    """A supported suite.

    Attributes:
        name: The name users pass (``eddsa-rdfc-2022``, ``Ed25519Signature2020``, ...).
        proof_type: The proof ``type``.
        cryptosuite: The ``cryptosuite`` of a ``DataIntegrityProof``, else ``None``.
        value_member: Where the signature goes: ``proofValue`` (multibase) or ``jws`` (detached JWS).
        context: A context the document must include for the proof terms, or ``None``.
        rdf: RDF canonicalisation (URDNA2015) or JCS.
    """

    name: str
    proof_type: str
    cryptosuite: str | None
    value_member: str
    context: str | None
    rdf: bool


SUITES: Mapping[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite("eddsa-rdfc-2022", "DataIntegrityProof", "eddsa-rdfc-2022", "proofValue", None, True),
        Suite("eddsa-jcs-2022", "DataIntegrityProof", "eddsa-jcs-2022", "proofValue", None, False),
        Suite(
            "Ed25519Signature2020",
            "Ed25519Signature2020",
            None,
            "proofValue",
            "https://w3id.org/security/suites/ed25519-2020/v1",
            True,
        ),
        Suite(
            "JsonWebSignature2020",
            "JsonWebSignature2020",
            None,
            "jws",
            "https://w3id.org/security/suites/jws-2020/v1",
            True,
        ),
    )
}
"""The Data Integrity suites the SDK signs and verifies, by name."""


def suite_of(proof: Mapping[str, Any]) -> Suite:
    """The suite of a proof, from its ``type`` (and ``cryptosuite``).

    Raises:
        MalformedTokenError: The proof type or cryptosuite is not supported.
    """
    proof_type = proof.get("type")
    if proof_type == "DataIntegrityProof":
        cryptosuite = proof.get("cryptosuite")
        if isinstance(cryptosuite, str) and cryptosuite in SUITES and SUITES[cryptosuite].cryptosuite:
            return SUITES[cryptosuite]
        raise MalformedTokenError(
            f"unsupported Data Integrity cryptosuite {cryptosuite!r}; "
            "supported: eddsa-rdfc-2022, eddsa-jcs-2022"
        )
    if isinstance(proof_type, str) and proof_type in SUITES and SUITES[proof_type].cryptosuite is None:
        return SUITES[proof_type]
    raise MalformedTokenError(
        f"unsupported proof type {proof_type!r}; supported: DataIntegrityProof, Ed25519Signature2020, "
        "JsonWebSignature2020"
    )


def _contexts(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def proof_config(suite: Suite, proof: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The proof configuration that is hashed: the proof without its value, with the right ``@context``.

    Raises:
        InvalidClaimsError: (JCS) the document's ``@context`` does not start with the proof's.
    """
    config = {key: value for key, value in proof.items() if key not in _PROOF_VALUES}
    if suite.rdf:
        if "@context" not in config:
            config["@context"] = document.get("@context")
        return config
    if "@context" in config:
        wanted, actual = _contexts(config["@context"]), _contexts(document.get("@context"))
        if actual[: len(wanted)] != wanted:
            raise InvalidClaimsError("the document's @context does not start with the proof's @context")
    return config


def verify_data(
    suite: Suite,
    config: Mapping[str, Any],
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader | None,
) -> bytes:
    """``hash(canon(config)) || hash(canon(document))`` for the suite (64 bytes, SHA-256).

    ``document`` must not hold the proof being checked. For RDF suites, both inputs first pass the
    dropped-term check.

    Raises:
        InvalidClaimsError: A term of the document or proof is not defined by its contexts.
        JsonLdError: Canonicalisation failed (context unavailable, invalid JSON-LD).
        MalformedTokenError: (JCS) a value JSON cannot represent.
    """
    if suite.rdf:
        check_terms(config, loader=loader, what="the proof options")
        check_terms(document, loader=loader, what="the document")
        config_bytes = canonicalize(config, loader=loader).encode("utf-8")
        document_bytes = canonicalize(document, loader=loader).encode("utf-8")
    else:
        config_bytes, document_bytes = jcs(config), jcs(document)
    return hashlib.sha256(config_bytes).digest() + hashlib.sha256(document_bytes).digest()
