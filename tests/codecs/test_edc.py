"""EDC Management API v3/v4 bodies: requests in EDC's documented shapes, responses read through JSON-LD."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk import DecodeError, EncodeError, jsonld, models, wire

EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"
ODRL = "http://www.w3.org/ns/odrl/2/"
V3_RESPONSE_CONTEXT = {
    "@vocab": EDC_NS,
    "edc": EDC_NS,
    "odrl": ODRL,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dspace": "https://w3id.org/dspace/v0.8/",
}


def _offer() -> models.Offer:
    return models.Offer(
        id="urn:uuid:offer-1",
        assigner="did:web:provider.example",
        target="asset-1",
        permission=(
            models.Permission(
                action="use",
                constraint=(
                    models.Constraint(left_operand="purpose", operator="eq", right_operand="research"),
                ),
            ),
        ),
    )


def test_v3_contract_request_scopes_the_odrl_context_to_the_policy() -> None:
    request = models.ContractRequest(
        counter_party_address="http://provider.example/api/dsp/2025-1",
        counter_party_id="did:web:provider.example",
        policy=_offer(),
        callback_addresses=(
            models.CallbackAddress(uri="http://me.example/cb", events=("contract.negotiation",)),
        ),
    )
    body = wire.encode(request, dialect="edc-v3")
    assert body["@context"] == {"@vocab": EDC_NS}
    assert body["@type"] == "ContractRequest"
    assert body["protocol"] == "dataspace-protocol-http:2025-1"
    assert body["policy"]["@context"] == "http://www.w3.org/ns/odrl.jsonld"
    # JSON-LD meaning: the policy's terms are ODRL terms, the request's are EDC's.
    expanded = jsonld.expand(body)[0]
    assert expanded["@type"] == [EDC_NS + "ContractRequest"]
    policy = expanded[EDC_NS + "policy"][0]
    assert policy["@type"] == [ODRL + "Offer"]
    permission = policy[ODRL + "permission"][0]
    assert permission[ODRL + "action"] == [{"@id": ODRL + "use"}]
    assert policy[ODRL + "assigner"] == [{"@id": "did:web:provider.example"}]
    assert expanded[EDC_NS + "counterPartyAddress"] == [{"@value": "http://provider.example/api/dsp/2025-1"}]


def test_v4_bodies_use_the_management_v2_context_array() -> None:
    body = wire.encode(
        models.CatalogRequest(
            counter_party_address="http://p/dsp",
            counter_party_id="did:web:p",
            query_spec=models.QuerySpec(offset=50, limit=50),
        ),
        dialect="edc-v4",
    )
    assert body["@context"] == ["https://w3id.org/edc/connector/management/v2"]
    assert body["@type"] == "CatalogRequest"
    assert body["querySpec"] == {"@type": "QuerySpec", "offset": 50, "limit": 50}
    assert body["counterPartyId"] == "did:web:p"


def test_v4_refuses_a_data_destination() -> None:
    request = models.TransferRequest(
        counter_party_address="http://p/dsp", contract_id="agreement-1", data_destination={"type": "HttpData"}
    )
    with pytest.raises(EncodeError, match="dataDestination"):
        wire.encode(request, dialect="edc-v4")
    assert wire.encode(request, dialect="edc-v3")["dataDestination"] == {"type": "HttpData"}


def test_query_spec_validates_paging() -> None:
    with pytest.raises(ValueError):
        models.QuerySpec(limit=0)
    spec = models.QuerySpec(filter_expression=(models.Criterion(operand_left="id", operand_right="x"),))
    assert wire.encode(spec, dialect="edc-v3")["filterExpression"] == [
        {"@type": "Criterion", "operandLeft": "id", "operator": "=", "operandRight": "x"}
    ]


def _v3(body: dict[str, Any]) -> dict[str, Any]:
    return {"@context": V3_RESPONSE_CONTEXT, **body}


def test_decodes_a_v3_negotiation_with_prefixed_and_unprefixed_keys() -> None:
    payload = _v3(
        {
            "@type": "ContractNegotiation",
            "@id": "neg-1",
            "type": "CONSUMER",
            "edc:state": "FINALIZED",
            "protocol": "dataspace-protocol-http:2025-1",
            "counterPartyId": "did:web:p",
            "counterPartyAddress": "http://p/dsp",
            "contractAgreementId": "agreement-1",
            "createdAt": 1700000000000,
            "callbackAddresses": [],
        }
    )
    negotiation = wire.decode(payload)
    assert isinstance(negotiation, models.EdcContractNegotiation)
    assert negotiation.state == "FINALIZED"
    assert negotiation.role == "CONSUMER"
    assert negotiation.contract_agreement_id == "agreement-1"
    assert negotiation.created_at == 1700000000000


def test_decodes_v3_transfer_state_id_response_and_edr_list() -> None:
    transfer = wire.decode(
        _v3({"@type": "TransferProcess", "@id": "tp-1", "state": "STARTED", "type": "CONSUMER"})
    )
    assert isinstance(transfer, models.EdcTransferProcess) and transfer.state == "STARTED"
    state = wire.decode(_v3({"@type": "NegotiationState", "state": "TERMINATED"}))
    assert isinstance(state, models.EdcState) and state.state == "TERMINATED"
    created = wire.decode(_v3({"@type": "IdResponse", "@id": "neg-2", "createdAt": 1}))
    assert isinstance(created, models.IdResponse) and created.id == "neg-2"
    entries = wire.decode_list(
        [
            _v3(
                {
                    "@type": "EndpointDataReferenceEntry",
                    "@id": "tp-1",
                    "transferProcessId": "tp-1",
                    "assetId": "a",
                }
            )
        ],
        dialect="edc-v3",
    )
    assert isinstance(entries[0], models.EdrEntry) and entries[0].transfer_process_id == "tp-1"


def test_decodes_the_v3_edr_data_address_into_an_endpoint_data_reference() -> None:
    edr = wire.decode(
        _v3(
            {
                "@type": "DataAddress",
                "type": "https://w3id.org/idsa/v4.1/HTTP",
                "endpoint": "http://provider.example/public",
                "authType": "bearer",
                "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
                "authorization": "eyJ.secret.token",
            }
        )
    )
    assert isinstance(edr, models.EndpointDataReference)
    assert edr.endpoint == "http://provider.example/public"
    assert edr.authorization == "eyJ.secret.token"
    assert "eyJ.secret.token" not in repr(edr)


def test_decodes_a_v3_agreement_with_its_odrl_policy() -> None:
    payload = _v3(
        {
            "@type": "ContractAgreement",
            "@id": "agreement-1",
            "assetId": "asset-1",
            "policy": {
                "@id": "agreement-1",
                "@type": "odrl:Agreement",
                "odrl:permission": {
                    "odrl:action": {"@id": "odrl:use"},
                    "odrl:constraint": {
                        "odrl:leftOperand": {"@id": "https://w3id.org/ds4h/purpose"},
                        "odrl:operator": {"@id": "odrl:eq"},
                        "odrl:rightOperand": "research",
                    },
                },
                "odrl:target": {"@id": "asset-1"},
                "odrl:assigner": {"@id": "did:web:p"},
                "odrl:assignee": {"@id": "did:web:c"},
            },
        }
    )
    agreement = wire.decode(payload)
    assert isinstance(agreement, models.EdcContractAgreement)
    assert agreement.policy is not None
    rule = agreement.policy.permission[0]
    assert rule.action == "use"
    constraint = rule.constraint[0]
    assert isinstance(constraint, models.Constraint)
    assert (constraint.left_operand, constraint.operator, constraint.right_operand) == (
        "https://w3id.org/ds4h/purpose",
        "eq",
        "research",
    )
    assert agreement.policy.target == "asset-1"


def test_decodes_an_edc_v3_catalog_with_single_objects_instead_of_arrays() -> None:
    payload = _v3(
        {
            "@id": "cat-1",
            "@type": "dcat:Catalog",
            "dspace:participantId": "did:web:p",
            "dcat:dataset": {
                "@id": "asset-1",
                "@type": "dcat:Dataset",
                "odrl:hasPolicy": {
                    "@id": "offer-1",
                    "@type": "odrl:Offer",
                    "odrl:permission": {"odrl:action": {"@id": "odrl:use"}},
                },
                "dcat:distribution": {
                    "@type": "dcat:Distribution",
                    "dct:format": {"@id": "HttpData-PULL"},
                    "dcat:accessService": {"@id": "svc-1", "@type": "dcat:DataService"},
                },
                "name": "Diabetes cohort",
                "id": "asset-1",
            },
            "dcat:service": {"@id": "svc-1", "@type": "dcat:DataService", "dcat:endpointURL": "http://p/dsp"},
        }
    )
    catalog = wire.decode(payload)
    assert isinstance(catalog, models.Catalog)
    assert catalog.participant_id == "did:web:p"
    (dataset,) = catalog.datasets
    assert dataset.id == "asset-1"
    assert dataset.offers[0].id == "offer-1"
    assert dataset.offers[0].permission[0].action == "use"
    assert dataset.distributions[0].format == "HttpData-PULL"
    assert dataset.distributions[0].access_service_id == "svc-1"
    assert dataset.remainder["name"] == "Diabetes cohort"
    assert catalog.services[0].endpoint_url == "http://p/dsp"


def test_unknown_edc_type_is_a_clear_error() -> None:
    with pytest.raises(DecodeError, match="no model for @type"):
        wire.decode(_v3({"@type": "SomethingElse", "@id": "x"}))
