"""The consumer EDC against the d4h sandbox provider (marker ``edc``).

What happens today, pinned so a change is noticed: the runtimes use EDC's mock identity service, which
sends a plain JSON object (``{"region", "audience", "clientId"}``) as ``Authorization``; the sandbox
demands a DCP self-issued token (compact JWS) and answers 401, which the consumer EDC reports as 502.
Interoperating needs EDC's DCP modules in the runtime (``identity-trust-*`` in 0.14) configured against the
sandbox's did:web participants, or a sandbox mode that accepts the mock tokens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from d4h_sdk.errors import ServerError
from d4h_sdk.sandbox import Sandbox
from tests.edc._flows import request_catalog
from tests.edc.conftest import EdcSetup

pytestmark = pytest.mark.edc


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=1, patients=10) as data_space:
        yield data_space


class _SandboxProvider:
    """What request_catalog needs of a provider: the DSP root and the participant id."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    @property
    def dsp_url(self) -> str:
        return self._sandbox.provider_url.rsplit("/", 1)[0]

    @property
    def participant_id(self) -> str:
        return self._sandbox.provider.did


def test_edc_consumer_with_mock_identity_is_refused_by_the_sandbox(edc: EdcSetup, sandbox: Sandbox) -> None:
    with pytest.raises(ServerError) as refused:
        request_catalog(edc.consumer, _SandboxProvider(sandbox))
    text = str(refused.value)
    assert refused.value.status_code == 502
    assert "CatalogError" in text and "401" in text
    assert "compact token" in text
