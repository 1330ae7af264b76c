from __future__ import annotations

import pytest
from pydantic import ValidationError

from d4h_sdk import DecodeError, models, wire


def _catalog_bytes(n: int) -> bytes:
    datasets = ",".join(
        f'{{"@id": "urn:uuid:{i}", "@type": "Dataset", "dct:title": [{{"@value": "Cohort {i}", "@language": "en"}},'
        f' {{"@value": "Kohorte {i}", "@language": "de"}}], "hasPolicy": [{{"@id": "urn:o:{i}", "@type": "Offer",'
        f' "permission": [{{"action": "use"}}]}}], "distribution": [{{"@type": "Distribution",'
        f' "format": "HttpData-PULL", "accessService": "urn:s"}}]}}'
        for i in range(n)
    )
    return (
        '{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@id": "urn:c", "@type": "Catalog",'
        f' "participantId": "did:web:p", "dataset": [{datasets}]}}'
    ).encode()


def test_catalog_builds_datasets_lazily_and_once() -> None:
    catalog = wire.decode(_catalog_bytes(3))
    assert isinstance(catalog, models.Catalog)
    assert len(catalog) == 3
    first = catalog.datasets
    assert first is catalog.datasets
    assert [d.title_text("de") for d in first] == ["Kohorte 0", "Kohorte 1", "Kohorte 2"]
    assert first[0].title_text() == "Cohort 0"
    assert list(catalog.iter_datasets()) == list(first)


def test_catalog_rejects_a_malformed_dataset_eagerly() -> None:
    bad = _catalog_bytes(1).replace(b'"@id": "urn:uuid:0"', b'"@id": 17')
    with pytest.raises(DecodeError, match="dataset"):
        wire.decode(bad)


def test_models_are_immutable() -> None:
    negotiation = models.ContractNegotiation(provider_pid="urn:p", consumer_pid="urn:c", state="REQUESTED")
    with pytest.raises(ValidationError):
        negotiation.state = models.NegotiationState.FINALIZED  # type: ignore[misc]
    assert negotiation.state is models.NegotiationState.REQUESTED
    assert not negotiation.state.is_final


def test_lang_string_accepts_plain_text_and_picks_languages() -> None:
    dataset = models.Dataset(title=["plain", {"@value": "Titel", "@language": "de"}])
    assert dataset.title_text() == "plain"
    assert dataset.title_text("DE") == "Titel"
    assert models.text_of((), "en") is None


def test_data_address_hides_the_token_and_builds_an_edr() -> None:
    address = models.DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint="https://provider.example/data",
        endpoint_properties=(
            models.EndpointProperty(name="authorization", value="TOKEN-SECRET"),
            models.EndpointProperty(name="authType", value="bearer"),
        ),
    )
    assert "TOKEN-SECRET" not in repr(address)
    assert "TOKEN-SECRET" not in repr(address.endpoint_properties[0])
    edr = models.EndpointDataReference.from_data_address(address, transfer_id="tp-1")
    assert edr.authorization == "TOKEN-SECRET"
    assert edr.transfer_id == "tp-1"
    assert "TOKEN-SECRET" not in repr(edr)
    with pytest.raises(DecodeError, match="no endpoint"):
        models.EndpointDataReference.from_data_address(models.DataAddress(endpoint_type="x"))


def test_version_response_finds_edc_spelling() -> None:
    versions = wire.decode(
        b'{"protocolVersions": [{"version": "2024/1", "path": "/2024/1", "binding": "HTTPS"},'
        b' {"version": "2025-1", "path": "/2025-1", "binding": "HTTPS"}]}'
    )
    assert isinstance(versions, models.VersionResponse)
    found = versions.find("2024-1")
    assert found is not None and found.path == "/2024/1"
    assert versions.find("0.8") is None


def test_logical_constraints_are_told_apart() -> None:
    rule = models.Permission.model_validate(
        {"action": "use", "constraint": [{"or": [{"leftOperand": "a", "operator": "eq", "rightOperand": 1}]}]}
    )
    (logical,) = rule.constraint
    assert isinstance(logical, models.LogicalConstraint)
    assert logical.operator == "or"
    assert isinstance(logical.operands[0], models.Constraint)


def test_remainder_keeps_unknown_properties_through_a_round_trip() -> None:
    doc = {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@id": "urn:d",
        "@type": "Dataset",
        "dct:creator": "Hospital A",
        "healthdcatap:numberOfRecords": 1200,
    }
    dataset = wire.decode(doc)
    assert dataset.remainder == {"dct:creator": "Hospital A", "healthdcatap:numberOfRecords": 1200}
    assert wire.encode(dataset, dialect="dsp-2025-1") == doc


def test_decode_errors_are_typed() -> None:
    with pytest.raises(DecodeError, match="not valid JSON"):
        wire.decode(b"{not json")
    with pytest.raises(DecodeError, match="expected a JSON object"):
        wire.decode(b"[1, 2]")
    with pytest.raises(DecodeError, match="consumerPid"):
        wire.decode(
            {
                "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                "@type": "ContractNegotiation",
                "providerPid": "urn:p",
                "state": "REQUESTED",
            }
        )
    with pytest.raises(DecodeError, match="is dsp-2024-1, not dsp-2025-1"):
        wire.decode(
            {"@context": "https://w3id.org/dspace/2024/1/context.json", "@type": "dspace:X"},
            dialect="dsp-2025-1",
        )


def test_unknown_dialect_is_a_configuration_error() -> None:
    from d4h_sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown dialect"):
        wire.decode(b"{}", dialect="dsp-0.8")


def test_unknown_context_is_refused_not_fetched() -> None:
    from d4h_sdk import JsonLdError
    from d4h_sdk.jsonld import DocumentLoader

    doc = {"@context": "https://contexts.example.org/unknown.jsonld", "@type": "Catalog"}
    with pytest.raises(JsonLdError, match="not bundled and not allowed"):
        wire.decode(doc)
    context = {
        "@context": {"@vocab": "https://w3id.org/dspace/2025/1/", "dcat": "http://www.w3.org/ns/dcat#"}
    }
    loader = DocumentLoader(documents={"https://contexts.example.org/unknown.jsonld": context})
    catalog = wire.decode({**doc, "@type": "dcat:Catalog", "participantId": "did:web:p"}, loader=loader)
    assert isinstance(catalog, models.Catalog)
    assert catalog.participant_id == "did:web:p"


def test_dataset_health_view_reads_healthdcat_properties(shared_fixtures: object) -> None:
    import pathlib

    from d4h_sdk.health import to_asset_properties
    from d4h_sdk.health.healthdcat import read_healthdcat

    assert isinstance(shared_fixtures, pathlib.Path)
    source = shared_fixtures / "healthdcat" / "official-r8" / "example-healthdcat-dataset.ttl"
    health = read_healthdcat(source.read_text(encoding="utf-8"))
    doc = {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@id": health.id,
        "@type": "Dataset",
        **to_asset_properties(health),
    }
    dataset = wire.decode(doc)
    assert isinstance(dataset, models.Dataset)
    assert dataset.health == health
    assert models.Dataset(id="urn:plain").health is None
