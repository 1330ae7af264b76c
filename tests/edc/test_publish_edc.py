"""Publishing into the provider EDC through ``session.provider``, then discovery, negotiation and pull."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from d4h_sdk import Session
from d4h_sdk.connectors import EdcConnector
from d4h_sdk.errors import NotFoundError
from d4h_sdk.health.healthdcat import AccessRights, HealthDatasetBuilder
from d4h_sdk.models import Offer
from tests.edc.conftest import DataServer, EdcSetup
from tests.edc.test_session_edc import provider_of

pytestmark = pytest.mark.edc

OPEN_USE = Offer.model_validate({"@id": "open-use", "permission": [{"action": "use"}]})


def _session(url: str, key: str) -> Session:
    session = Session.edc(url, api_key=key, api_version="v3")
    assert isinstance(session.connector, EdcConnector)
    session.connector.raw_edr_token = True  # see test_session_edc: EDC's public API wants the token as is
    return session


@pytest.fixture
def sessions(edc: EdcSetup) -> Iterator[tuple[Session, Session]]:
    provider, consumer = edc.pair.provider, edc.pair.consumer
    with (
        _session(provider.management_url, provider.api_key) as publisher,
        _session(consumer.management_url, consumer.api_key) as reader,
    ):
        yield publisher, reader


def test_publish_health_dataset_then_negotiate_and_pull(
    edc: EdcSetup, sessions: tuple[Session, Session], data_server: DataServer
) -> None:
    publisher, reader = sessions
    dataset = (
        HealthDatasetBuilder(
            "urn:d4h:test:published-health", title="Published cohort", description="A cohort"
        )
        .set(access_rights=AccessRights.PUBLIC)
        .build()
    )
    published = publisher.provider.publish(
        dataset,
        asset_id="published-health",
        data_address=data_server.url(501),
        policy=OPEN_USE,
        media_type="application/json",
    )
    assert published.asset_id == "published-health"
    assert "published-health" in {item.asset_id for item in publisher.provider.list()}

    hit = reader.catalog.get(provider_of(edc), "published-health")
    assert hit.dataset.id == "published-health"
    contract = reader.negotiations.negotiate(hit, timeout=60)
    with reader.transfers.pull(contract, timeout=60) as download:
        assert json.loads(download.read_bytes()) == {"asset": 501, "rows": [1, 2, 3]}


def test_publish_properties_then_unpublish(
    edc: EdcSetup, sessions: tuple[Session, Session], data_server: DataServer
) -> None:
    publisher, reader = sessions
    publisher.provider.publish(
        {"name": "Plain properties", "contenttype": "application/json"},
        asset_id="published-plain",
        data_address={"type": "HttpData", "baseUrl": data_server.url(502)},
        policy=OPEN_USE,
    )
    assert reader.catalog.get(provider_of(edc), "published-plain").dataset.id == "published-plain"
    publisher.provider.unpublish("published-plain")
    assert "published-plain" not in {item.asset_id for item in publisher.provider.list()}
    with pytest.raises(NotFoundError):
        reader.catalog.get(provider_of(edc), "published-plain")
