"""Participants for the DCP tests: DIDs, FakeSigner keys, DID documents and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from d4h_sdk.identity.did import StaticDidResolver, build_did_document
from d4h_sdk.testing import FakeSigner

HOLDER = "did:web:hospital.example"
VERIFIER = "did:web:research.example"
ISSUER = "did:web:authority.example"
OTHER = "did:web:mallory.example"
T0 = 1_800_000_000.0


class Clock:
    """A settable epoch clock."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(did: str, fragment: str = "key-1", kind: str = "Ed25519") -> FakeSigner:
    return FakeSigner(kind, key_id=f"{did}#{fragment}", seed=f"{did}#{fragment}".encode())


def document(
    did: str,
    *signers: FakeSigner,
    relationships: tuple[str, ...] = ("authentication", "assertionMethod", "capabilityInvocation"),
    credential_service: str | None = None,
) -> dict[str, Any]:
    return build_did_document(
        did,
        keys=[(s.key_id, s.public_jwk()) for s in signers],
        relationships=relationships,
        credential_service=credential_service,
    )


@dataclass
class World:
    holder: FakeSigner
    verifier: FakeSigner
    issuer: FakeSigner
    other: FakeSigner
    resolver: StaticDidResolver
    clock: Clock


def world(**holder_doc_options: Any) -> World:
    holder, verifier, issuer, other = (
        signer(HOLDER),
        signer(VERIFIER, kind="P-256"),
        signer(ISSUER),
        signer(OTHER),
    )
    resolver = StaticDidResolver(
        {
            HOLDER: document(HOLDER, holder, **holder_doc_options),
            VERIFIER: document(VERIFIER, verifier),
            ISSUER: document(ISSUER, issuer),
            OTHER: document(OTHER, other),
        }
    )
    return World(holder, verifier, issuer, other, resolver, Clock())
