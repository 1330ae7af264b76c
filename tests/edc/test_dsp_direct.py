"""``DspConnector`` (what ``Session.direct`` builds) against the provider EDC's DSP endpoint (marker ``edc``).

The runtimes use EDC's ``iam-mock``: the SDK sends a mock token as the whole ``Authorization`` value
(``token_scheme=None``; EDC answers 500 to ``Bearer <mock token>``), and pulls with the raw EDR token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from d4h_sdk import Session
from d4h_sdk.connectors import DspConnector, Provider
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.sandbox._edc_interop import IamMockTokenSource
from tests.edc._flows import asset_id
from tests.edc.conftest import SEEDED_ASSETS, DataServer, EdcSetup

pytestmark = pytest.mark.edc

CONSUMER_ID = "sdk-direct-consumer"


@pytest.fixture(params=["2025-1", "2024-1"])
def direct(request: pytest.FixtureRequest) -> Iterator[Session]:
    connector = DspConnector(
        participant_id=CONSUMER_ID,
        token_source=IamMockTokenSource(CONSUMER_ID),
        token_scheme=None,
        raw_edr_token=True,
        versions=(request.param,),
    )
    with Session(connector, participant_id=CONSUMER_ID) as session:
        yield session


def test_catalog(edc: EdcSetup, direct: Session) -> None:
    provider = Provider(edc.pair.provider.dsp_url, edc.pair.provider.participant_id)
    ids = [dataset.id for _, dataset in direct.catalog.datasets(provider)]
    assert len(ids) == len(set(ids))
    # Every dataset, whatever the page size EDC applies to its DSP catalog (it ignores ?limit=).
    assert {asset_id(i) for i in range(SEEDED_ASSETS)} <= set(ids)


def test_negotiation_to_finalized_and_pull(edc: EdcSetup, direct: Session, data_server: DataServer) -> None:
    provider = Provider(edc.pair.provider.dsp_url, edc.pair.provider.participant_id)
    hit = direct.catalog.get(provider, asset_id(21))
    contract = direct.negotiations.negotiate(hit, timeout=60)
    (record,) = direct.negotiations.recorded(state=NegotiationState.FINALIZED)
    assert record.agreement_id == contract.id
    before = len(data_server.hits)
    with direct.transfers.pull(contract, timeout=60) as download:
        assert json.loads(download.read_bytes()) == {"asset": 21, "rows": [1, 2, 3]}
    assert data_server.hits[before:] == [("/data/21", None)]
