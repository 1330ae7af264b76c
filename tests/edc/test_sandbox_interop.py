"""The consumer EDC against the d4h sandbox provider (marker ``edc``).

The runtimes use EDC's mock identity service (``iam-mock``), which sends a plain JSON object as
``Authorization``. The sandbox's normal DCP check refuses it (pinned below); the sandbox's EDC interop mode
(:mod:`d4h_sdk.sandbox._edc_interop`) accepts such tokens and signs its callbacks with them, so the reference
implementation negotiates and transfers from the sandbox provider.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from d4h_sdk import Session
from d4h_sdk.connectors import Provider
from d4h_sdk.errors import ServerError
from d4h_sdk.sandbox import Sandbox
from d4h_sdk.sandbox._edc_interop import IamMockProvider
from tests.edc._flows import request_catalog
from tests.edc.conftest import EdcSetup

pytestmark = pytest.mark.edc


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=1, patients=10) as data_space:
        yield data_space


@pytest.fixture(scope="module")
def interop() -> Iterator[IamMockProvider]:
    with IamMockProvider() as provider:
        yield provider


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


def test_edc_consumer_with_mock_identity_is_refused_by_the_dcp_sandbox(
    edc: EdcSetup, sandbox: Sandbox
) -> None:
    with pytest.raises(ServerError) as refused:
        request_catalog(edc.consumer, _SandboxProvider(sandbox))
    text = str(refused.value)
    assert refused.value.status_code == 502
    assert "CatalogError" in text and "401" in text
    assert "compact token" in text


DSP_VERSIONS = {"2025-1": "dataspace-protocol-http:2025-1", "2024-1": "dataspace-protocol-http:2024/1"}
"""The sandbox's DSP path segment -> the protocol EDC names it by."""


def _provider(interop: IamMockProvider, version: str = "2025-1") -> Provider:
    return Provider(f"{interop.dsp_url}/{version}", interop.participant_id, DSP_VERSIONS[version])


@pytest.mark.parametrize("version", DSP_VERSIONS)
def test_edc_consumer_lists_the_sandbox_catalog(
    edc: EdcSetup, interop: IamMockProvider, version: str
) -> None:
    # EDC sends its QuerySpec as the catalog request's "filter" (once refused with 400, relayed as 502)
    consumer = edc.pair.consumer
    provider = _provider(interop, version)
    with Session.edc(consumer.management_url, api_key=consumer.api_key, api_version="v3") as session:
        listed = {hit.id for _, hit in session.catalog.datasets(provider)}
        assert listed == {"interop-1", "interop-2", "interop-3"}
    if version == "2025-1":  # the QuerySpec's paging and id filter are applied, not only accepted
        page = request_catalog(edc.consumer, interop, offset=1, limit=1)
        assert [d.id for d in page.datasets] == ["interop-2"]
        only = request_catalog(edc.consumer, interop, only="interop-3")
        assert [d.id for d in only.datasets] == ["interop-3"]


@pytest.mark.parametrize("version", DSP_VERSIONS)
def test_edc_consumer_negotiates_with_the_sandbox(
    edc: EdcSetup, interop: IamMockProvider, version: str
) -> None:
    # over 2024/1 EDC refused the FINALIZED event until the sandbox wrote its eventType as a node
    consumer = edc.pair.consumer
    with Session.edc(consumer.management_url, api_key=consumer.api_key, api_version="v3") as session:
        hit = session.catalog.get(_provider(interop, version), "interop-2")
        assert hit.dataset.id == "interop-2"
        contract = session.negotiations.negotiate(hit, timeout=30)
        assert contract.dataset_id == "interop-2"


@pytest.mark.parametrize("version", DSP_VERSIONS)
def test_edc_consumer_pulls_from_the_sandbox(edc: EdcSetup, interop: IamMockProvider, version: str) -> None:
    # EDC's EDR keeps only data address properties named by EDC IRIs (once it had no endpoint)
    consumer = edc.pair.consumer
    with Session.edc(consumer.management_url, api_key=consumer.api_key, api_version="v3") as session:
        hit = session.catalog.get(_provider(interop, version), "interop-3")
        contract = session.negotiations.negotiate(hit, timeout=30)
        with session.transfers.pull(contract, timeout=15) as download:
            assert json.loads(download.read_bytes()) == {"dataset": "interop-3", "rows": [1, 2, 3]}
