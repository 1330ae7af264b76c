"""Test helpers shipped with the SDK: a fake signer, and conformance suites for signers and connectors.

``SignerContract`` and ``ConnectorContract`` need pytest (a test dependency): importing this package
imports pytest. ``EdcRuntime`` / ``EdcPair`` start real Eclipse EDC connectors (built with Maven by
``build_runtime`` from ``tests/edc/runtime``) on loopback ports, for integration tests against the reference
implementation (see the guide "Testing your connector with d4h_sdk").

The SDK also registers a pytest plugin (entry point ``pytest11``): the fixtures ``d4h_sandbox`` (one sandbox
data space per test session) and ``d4h_sandbox_fresh`` (one per test), the options ``--d4h-sandbox-seed`` and
``--d4h-sandbox-patients``, and the marker
``@pytest.mark.d4h_sandbox(seed=..., patients=..., store_path=...)``.
"""

from __future__ import annotations

import typing as _typing

from d4h_sdk.testing._edc import EdcPair, EdcRuntime, build_runtime, java_available
from d4h_sdk.testing._fakes import FakeSigner
from d4h_sdk.testing._signer_contract import SignerContract

if _typing.TYPE_CHECKING:
    from d4h_sdk.testing._connector_contract import ConnectorContract

__all__ = [
    "ConnectorContract",
    "EdcPair",
    "EdcRuntime",
    "FakeSigner",
    "SignerContract",
    "build_runtime",
    "java_available",
]


def __getattr__(name: str) -> _typing.Any:
    # The connector suite imports the connectors (requests, pydantic); the fakes stay light without it.
    if name == "ConnectorContract":
        from d4h_sdk.testing._connector_contract import ConnectorContract

        return ConnectorContract
    raise AttributeError(f"module 'd4h_sdk.testing' has no attribute {name!r}")
