"""Sign and verify Data Integrity proofs, including proof sets and proof chains (``previousProof``).

Suites: eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020 and JsonWebSignature2020.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Collection, Mapping
from typing import Any, Literal

from d4h_sdk.errors import (
    ConfigurationError,
    D4HError,
    InvalidClaimsError,
    InvalidSignatureError,
    MalformedTokenError,
    SigningError,
    UntrustedIssuerError,
)
from d4h_sdk.identity.did import DidResolver
from d4h_sdk.identity.jose import sign_detached_b64false, verify_detached_b64false
from d4h_sdk.identity.jose._algs import verify_signature
from d4h_sdk.identity.signing import Signer
from d4h_sdk.identity.vc._dates import format_datetime
from d4h_sdk.identity.vc._keys import (
    RelationshipPolicy,
    check_trusted,
    controller_did,
    issuer_id,
    resolve_key,
)
from d4h_sdk.identity.vc._multibase import multibase_decode, multibase_encode
from d4h_sdk.identity.vc._suites import SUITES, Suite, proof_config, suite_of, verify_data
from d4h_sdk.jsonld import DocumentLoader

__all__ = ["DataIntegritySuite", "sign_data_integrity", "verify_data_integrity"]

DataIntegritySuite = Literal[
    "JsonWebSignature2020", "Ed25519Signature2020", "eddsa-rdfc-2022", "eddsa-jcs-2022"
]
"""The suites :func:`sign_data_integrity` can produce."""

_ED25519_ALGS = ("EdDSA", "Ed25519")


def _proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof] if proof is not None else []
    if not proofs or not all(isinstance(item, Mapping) for item in proofs):
        raise MalformedTokenError("the document has no proof object (or a proof that is not an object)")
    return list(proofs)


def _unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in document.items() if key != "proof"}


def _with_context(document: dict[str, Any], context: str | None) -> None:
    """Add the suite context to the document's ``@context`` when it is missing."""
    if context is None:
        return
    current = document.get("@context")
    contexts = list(current) if isinstance(current, list) else [current] if current is not None else []
    if context not in contexts:
        document["@context"] = [*contexts, context]


def _sign_bytes(signer: Signer, data: bytes) -> bytes:
    try:
        signature = signer.sign(data)
    except D4HError:
        raise
    except Exception as exc:
        raise SigningError(f"the {type(signer).__name__} signer failed with {type(exc).__name__}") from exc
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
        raise SigningError(f"the {type(signer).__name__} signer did not return a 64-byte Ed25519 signature")
    return bytes(signature)


def sign_data_integrity(
    signer: Signer,
    document: Mapping[str, Any],
    *,
    suite: DataIntegritySuite,
    verification_method: str,
    proof_purpose: str = "assertionMethod",
    created: datetime.datetime | str | None = None,
    loader: DocumentLoader | None = None,
    proof_id: str | None = None,
) -> dict[str, Any]:
    """Add a Data Integrity proof to a JSON-LD document (a credential or presentation).

    The document is not changed; a signed copy is returned. ``Ed25519Signature2020`` and
    ``JsonWebSignature2020`` add their suite context to ``@context`` if it is missing. An existing proof is
    kept: the new proof joins it in a proof set (each proof signs the document without proofs).

    Args:
        signer: The signing backend; ``eddsa-*`` and ``Ed25519Signature2020`` need an Ed25519 key
            (``EdDSA``); ``JsonWebSignature2020`` accepts any algorithm the SDK signs with.
        document: The JSON-LD document.
        suite: ``eddsa-rdfc-2022``, ``eddsa-jcs-2022``, ``Ed25519Signature2020`` or ``JsonWebSignature2020``.
        verification_method: The DID URL of the key (usually ``signer.key_id``).
        proof_purpose: ``assertionMethod`` for credentials, ``authentication`` for presentations.
        created: The proof time (default: now), a datetime or an ``xsd:dateTime`` string.
        loader: Resolves context URLs (RDF suites); by default only bundled contexts.
        proof_id: An ``id`` for the proof (a URI, e.g. ``urn:uuid:...``), so later proofs can chain to it.

    Returns:
        The signed document.

    Raises:
        ConfigurationError: Unknown suite, or the signer's algorithm does not fit it.
        SigningError: The signer failed.
        InvalidClaimsError: The document (or proof) uses a term its contexts do not define.
        JsonLdError: A context is unavailable or the document is not valid JSON-LD.
    """
    if suite not in SUITES:
        raise ConfigurationError(f"unknown Data Integrity suite {suite!r}; use one of {sorted(SUITES)}")
    spec: Suite = SUITES[suite]
    if spec.value_member == "proofValue" and signer.algorithm not in _ED25519_ALGS:
        raise ConfigurationError(f"{suite} needs an Ed25519 (EdDSA) signer, not {signer.algorithm}")
    if not isinstance(verification_method, str) or "#" not in verification_method:
        raise ConfigurationError("verification_method must be a DID URL with a fragment (did:...#key)")
    existing = document.get("proof")
    unsecured = _unsecured(document)
    _with_context(unsecured, spec.context)
    when = (
        created
        if isinstance(created, str)
        else format_datetime(created or datetime.datetime.now(datetime.timezone.utc))
    )
    proof: dict[str, Any] = {"type": spec.proof_type}
    if proof_id is not None:
        proof["id"] = proof_id
    if spec.cryptosuite is not None:
        proof["cryptosuite"] = spec.cryptosuite
    proof.update({"created": when, "verificationMethod": verification_method, "proofPurpose": proof_purpose})
    if not spec.rdf:
        proof["@context"] = copy.deepcopy(unsecured.get("@context"))
    data = verify_data(spec, proof_config(spec, proof, unsecured), unsecured, loader=loader)
    if spec.value_member == "jws":
        proof["jws"] = sign_detached_b64false(signer, data)
    else:
        proof["proofValue"] = multibase_encode(_sign_bytes(signer, data))
    signed = dict(unsecured)
    if existing is None:
        signed["proof"] = proof
    else:
        signed["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return signed


def _check_proof(
    proof: Mapping[str, Any],
    document: Mapping[str, Any],
    key: Mapping[str, Any],
    loader: DocumentLoader | None,
) -> None:
    spec = suite_of(proof)
    config = proof_config(spec, proof, document)
    unsecured = dict(document)
    if not spec.rdf and "@context" in config:
        unsecured["@context"] = config["@context"]
    data = verify_data(spec, config, unsecured, loader=loader)
    if spec.value_member == "jws":
        jws = proof.get("jws")
        if not isinstance(jws, str):
            raise MalformedTokenError("a JsonWebSignature2020 proof needs a 'jws' string")
        verify_detached_b64false(jws, data, key=key, algorithms=None)
        return
    signature = multibase_decode(proof.get("proofValue"))
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
        raise InvalidSignatureError(f"a {spec.name} proof needs an Ed25519 key, not {key.get('kty')}")
    if len(signature) != 64:
        raise InvalidSignatureError(f"the {spec.name} proofValue is {len(signature)} bytes, expected 64")
    verify_signature(key, "EdDSA", data, signature)


def _signed_input(
    proof: Mapping[str, Any], proofs: list[Mapping[str, Any]], unsecured: dict[str, Any]
) -> dict[str, Any]:
    """The document a proof signed: without proofs, or with the proofs it chains to (``previousProof``)."""
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise MalformedTokenError("previousProof must be a proof id or a list of proof ids")
    matching = [item for item in proofs if item.get("id") in wanted]
    if len(matching) != len(wanted):
        raise InvalidClaimsError(f"a proof chains to previous proof(s) {wanted} that the document lacks")
    return {**unsecured, "proof": [copy.deepcopy(dict(item)) for item in matching]}


def verify_data_integrity(
    document: Mapping[str, Any],
    *,
    resolver: DidResolver | None = None,
    key: Mapping[str, Any] | None = None,
    loader: DocumentLoader | None = None,
    proof_purpose: str = "assertionMethod",
    relationship_policy: RelationshipPolicy = "strict",
    trusted_issuers: Collection[str] | None = None,
    issuer_binding: bool = True,
) -> None:
    """Verify every Data Integrity proof of a document (a proof set, or a chain through ``previousProof``).

    Each proof must have the expected ``proofPurpose`` and verify. Its key comes from ``key`` when given
    (then no DID is resolved), else from the DID document of the ``verificationMethod`` (did:key is
    derived locally, any other DID goes through ``resolver``), where the method must be listed under
    ``proof_purpose`` (``relationship_policy="lax"`` accepts any verification method). With
    ``issuer_binding``, a resolved method must belong to the document's ``issuer`` (or ``holder`` for a
    presentation), when the document names one. RDF suites refuse any term the contexts do not define.

    Args:
        document: The secured JSON-LD document.
        resolver: Resolves the DIDs of verification methods.
        key: The public JWK to verify with, instead of resolving it.
        loader: Resolves context URLs; by default only bundled contexts (pass extra contexts with
            ``DocumentLoader(documents=...)``).
        proof_purpose: The required ``proofPurpose``.
        relationship_policy: ``strict`` or ``lax`` (see above).
        trusted_issuers: When given, the document's ``issuer`` must be one of these.
        issuer_binding: Require the proof key to belong to the issuer / holder (resolved keys only).

    Raises:
        MalformedTokenError: No proof, an unsupported suite, or a malformed proof value.
        InvalidClaimsError: Wrong ``proofPurpose``, an undefined term, or a broken proof chain.
        UntrustedIssuerError: The issuer is not trusted, or the key is not the issuer's.
        DidResolutionError: A DID could not be resolved.
        VerificationMethodError: The method is unknown or not in the required relationship.
        InvalidSignatureError: A signature does not verify.
        JsonLdError: A context is unavailable or the document is not valid JSON-LD.
        ConfigurationError: A DID must be resolved and no resolver was given.
    """
    proofs = _proofs(document)
    unsecured = _unsecured(document)
    issuer = issuer_id(document.get("issuer")) or issuer_id(document.get("holder"))
    if trusted_issuers is not None:
        if issuer is None:
            raise UntrustedIssuerError("the document names no issuer, so it cannot come from a trusted one")
        check_trusted(issuer, trusted_issuers, "the document")
    for proof in proofs:
        purpose = proof.get("proofPurpose")
        if purpose != proof_purpose:
            raise InvalidClaimsError(f"the proof purpose is {purpose!r}, expected {proof_purpose!r}")
        method = proof.get("verificationMethod")
        if isinstance(method, Mapping):
            method = method.get("id")
        if not isinstance(method, str) or not method:
            raise MalformedTokenError("the proof has no verificationMethod")
        if key is not None:
            proof_key: Mapping[str, Any] = key
        else:
            if issuer_binding and issuer is not None and controller_did(method) != issuer:
                raise UntrustedIssuerError(
                    f"the proof key {method!r} does not belong to the issuer {issuer!r}"
                )
            proof_key = resolve_key(
                method, relationship=proof_purpose, resolver=resolver, policy=relationship_policy
            )
        _check_proof(proof, _signed_input(proof, proofs, unsecured), proof_key, loader)
