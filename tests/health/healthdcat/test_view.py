"""The dataset.health view over DSP datasets, and writing health metadata into published assets."""

from __future__ import annotations

from pathlib import Path

from d4h_sdk.health import health_view, read_healthdcat, to_asset_properties
from d4h_sdk.health.healthdcat import CodingSystem, HealthCategory, HealthDataset
from d4h_sdk.models import Dataset


def test_asset_properties_round_trip_through_a_dsp_dataset(complete: HealthDataset) -> None:
    props = to_asset_properties(complete)
    assert "@id" not in props and "@type" not in props
    assert all(key.startswith(("http://", "https://")) for key in props)  # context-free keys
    dataset = Dataset.model_validate({"@id": "asset-42", "@type": "Dataset", **props})
    view = health_view(dataset)
    assert view == complete.model_copy(update={"id": "asset-42"})


def test_official_example_round_trips_through_asset_properties(r8: Path) -> None:
    ds = read_healthdcat((r8 / "example-healthdcat-dataset.ttl").read_bytes())
    dataset = Dataset.model_validate({"@id": ds.id, **to_asset_properties(ds)})
    assert health_view(dataset) == ds


def test_view_reads_prefixed_unprefixed_and_legacy_keys() -> None:
    dataset = Dataset.model_validate(
        {
            "@id": "urn:uuid:1",
            "@type": "Dataset",
            "dct:title": "Diabetes cohort",
            "healthdcatap:healthCategory": {
                "@id": "http://13.81.34.152:1101/resource/authority/healthcategories/EHRS"
            },
            "hasCodingSystem": [{"@id": "http://www.wikidata.org/entity/P494"}],
            "http://healthdataportal.eu/ns/health#hasCodeValues": ["E10", "E11"],
            "healthdcatap:numberOfRecords": 1200,
            "hasPolicy": [{"@id": "offer-1", "@type": "Offer", "permission": []}],
            "distribution": [{"@type": "Distribution", "format": "HttpData-PULL"}],
        }
    )
    view = health_view(dataset)
    assert view is not None
    assert view.id == "urn:uuid:1" and view.title_text() == "Diabetes cohort"
    assert view.health_categories == (HealthCategory.EHRS.value,)
    assert view.coding_systems == (CodingSystem.ICD_10.value,)
    assert view.code_values == ("E10", "E11")
    assert view.number_of_records == 1200
    assert view.distributions == ()  # DSP transfer formats are not HealthDCAT distributions


def test_plain_dcat_dataset_has_no_health_view() -> None:
    assert health_view(Dataset.model_validate({"@id": "urn:x", "dct:title": "Weather"})) is None
