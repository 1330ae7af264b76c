"""Fixtures for the data plane tests: a provider key, a token issuer, and a data plane served on loopback."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from d4h_sdk.identity.signing import LocalKeySigner, generate_key
from d4h_sdk.sandbox._dataplane import BytesSource, DataPlane, DataSource
from d4h_sdk.sandbox._edr import EdrTokenIssuer, EdrTokenValidator, RevocationList
from d4h_sdk.sandbox._http_server import LoopbackServer

PROVIDER = "did:web:provider.example"
CONSUMER = "did:web:consumer.example"
PAYLOAD = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB, not a multiple of the chunk size


class Clock:
    """A settable epoch clock."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Plane:
    server: LoopbackServer
    issuer: EdrTokenIssuer
    revocations: RevocationList
    clock: Clock
    sources: dict[str, DataSource] = field(default_factory=dict)

    def url(self, transfer_id: str) -> str:
        return self.server.url + DataPlane.path_for(transfer_id)

    def token(self, transfer_id: str, *, audience: str = CONSUMER) -> str:
        return self.issuer.issue(
            transfer_id=transfer_id, agreement_id="agreement-1", dataset_id="dataset-1", audience=audience
        ).token

    def auth(self, transfer_id: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.token(transfer_id)}


@pytest.fixture(scope="session")
def signer() -> LocalKeySigner:
    return generate_key("P-256", key_id=PROVIDER + "#edr-1")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def plane(signer: LocalKeySigner, clock: Clock) -> Iterator[Plane]:
    revocations = RevocationList()
    issuer = EdrTokenIssuer(signer, issuer_did=PROVIDER, lifetime_s=300, clock=clock, revocations=revocations)
    validator = EdrTokenValidator(
        signer.public_jwk(), issuer_did=PROVIDER, revocations=revocations, clock=clock, leeway_s=5
    )
    sources: dict[str, DataSource] = {"tp-1": BytesSource(PAYLOAD, media_type="application/fhir+ndjson")}
    app = DataPlane(validator, sources.get)
    with LoopbackServer(app, name="dataplane-test") as server:
        yield Plane(server, issuer, revocations, clock, sources)
    assert_no_server_threads()


def assert_no_server_threads() -> None:
    """Fail if a sandbox server thread outlived its server."""
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-sandbox") and t.is_alive()]
    assert left == [], f"server threads leaked: {left}"
