"""Every message type round-trips through both DSP dialects.

Models are built in Python with every optional field set, encoded to ``dsp-2025-1`` and ``dsp-2024-1``,
validated against the official schema of that version, decoded back and compared with the original.
Where the two versions disagree on the shape (2025-1: ``callbackAddress`` XOR ``providerPid`` in a contract
request; 2024-1: ``callbackAddress`` always required) a case exists per version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ._schemas import VERSIONS, dsp_root, schema_errors

if not hasattr(pytest.importorskip("d4h_sdk.wire"), "decode"):
    pytest.skip("d4h_sdk.wire is not implemented yet", allow_module_level=True)

from d4h_sdk import models as m  # noqa: E402
from d4h_sdk import wire  # noqa: E402

BOTH = VERSIONS
ONLY_2024 = ("2024-1",)
ONLY_2025 = ("2025-1",)

PROVIDER_PID = "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab"
CONSUMER_PID = "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833"
DATASET_ID = "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88"
CALLBACK = "https://consumer.example.com/callback"


def _permission() -> m.Permission:
    return m.Permission(
        action="use",
        constraint=(
            m.Constraint(left_operand="odrl:purpose", operator="eq", right_operand="research"),
            m.LogicalConstraint(
                or_=(
                    m.Constraint(
                        left_operand="spatial", operator="eq", right_operand="http://example.org/EU"
                    ),
                    m.Constraint(
                        left_operand="dateTime", operator="lt", right_operand="2030-01-01T00:00:00Z"
                    ),
                )
            ),
        ),
        duty=(
            m.Duty(
                action="odrl:compensate",
                constraint=(
                    m.Constraint(left_operand="odrl:payAmount", operator="eq", right_operand="5.00"),
                ),
            ),
        ),
    )


def _policy_kwargs() -> dict[str, Any]:
    return {
        "assigner": "urn:example:provider",
        "assignee": "urn:example:consumer",
        "profile": ("https://example.com/odrl-profile",),
        "permission": (_permission(),),
        "prohibition": (m.Prohibition(action="distribute"),),
        "obligation": (m.Duty(action="odrl:delete"),),
    }


def _offer(*, target: bool = True) -> m.Offer:
    return m.Offer(
        id="urn:uuid:d526561f-528e-4d5a-ae12-9a9dd9b7a815",
        type="Offer",
        target=DATASET_ID if target else None,
        **_policy_kwargs(),
    )


def _agreement() -> m.Agreement:
    return m.Agreement(
        id="urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
        type="Agreement",
        target=DATASET_ID,
        timestamp="2024-02-29T23:59:59Z",
        **_policy_kwargs(),
    )


def _service() -> m.DataService:
    return m.DataService(
        id="urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77",
        type="DataService",
        endpoint_url="https://provider.example.com/dsp",
        endpoint_description="dspace:connector",
    )


def _dataset() -> m.Dataset:
    return m.Dataset(
        id=DATASET_ID,
        type="Dataset",
        # English: the 2024-1 context tags every dct:title "en" and its schema allows only one string
        title=(m.LangString(value="Traffic data", language="en"),),
        description=(
            m.LangString(value="Traffic data sample extract", language="en"),
            m.LangString(value="Verkehrsdaten", language="de"),
        ),
        keywords=("traffic", "mobility"),
        themes=("http://example.org/theme/transport",),
        publisher="urn:example:provider",
        issued="2024-01-01T00:00:00Z",
        modified="2024-06-01T00:00:00Z",
        spatial=("http://example.org/EU",),
        temporal="2024-01-01/2024-12-31",
        conforms_to=("http://example.org/standard/traffic",),
        has_policy=(_offer(target=False),),
        distributions=(
            m.Distribution(type="Distribution", format="HttpData-PULL", access_service=_service()),
        ),
    )


def _catalog() -> m.Catalog:
    nested = m.Catalog.model_validate(
        {"@id": "urn:uuid:nested-catalog", "@type": "Catalog", "dataset": [_wire_dataset()]}
    )
    return m.Catalog.model_validate(
        {
            "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
            "@type": "Catalog",
            "participantId": "urn:example:provider",
            "dct:title": [{"@value": "Provider catalog", "@language": "en"}],
            "dct:description": [{"@value": "A catalog of data items", "@language": "en"}],
            "dcat:keyword": ["traffic"],
            "service": [_service()],
            "catalog": [nested],
            "dataset": [_wire_dataset()],
        }
    )


def _wire_dataset() -> dict[str, Any]:
    """The dataset as a catalog holds it before first access (2025-1 compact keys)."""
    dumped: dict[str, Any] = _dataset().model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return dumped


def _data_address() -> m.DataAddress:
    return m.DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint="https://provider.example.com/public",
        endpoint_properties=(
            m.EndpointProperty(name="authorization", value="TOKEN-ABCDEFG"),
            m.EndpointProperty(name="authType", value="bearer"),
        ),
    )


def _versions() -> m.VersionResponse:
    return m.VersionResponse(
        protocol_versions=(
            m.ProtocolVersion(
                version="2025-1",
                path="/dsp/2025-1",
                binding="HTTPS",
                service_id="did:web:provider.example.com#dsp",
                identifier_type="did:web",
                auth=m.VersionAuth(protocol="DCP", version="1.0", profile=("vc20-bssl/jwt",)),
            ),
            m.ProtocolVersion(version="2024-1", path="/dsp/2024-1", binding="HTTPS"),
        )
    )


def _pids() -> dict[str, str]:
    return {"provider_pid": PROVIDER_PID, "consumer_pid": CONSUMER_PID}


@dataclass(frozen=True)
class Case:
    """One model to round-trip, the versions it is valid in, and its schema message type."""

    name: str
    versions: tuple[str, ...]
    factory: Callable[[], Any]


CASES: list[Case] = [
    Case(
        "catalog-request",
        BOTH,
        lambda: m.CatalogRequestMessage(filter=({"https://w3id.org/edc/v0.0.1/ns/offset": 0},)),
    ),
    Case("dataset-request", BOTH, lambda: m.DatasetRequestMessage(dataset=DATASET_ID)),
    Case("catalog", BOTH, _catalog),
    Case("dataset", BOTH, _dataset),
    Case("catalog-error", BOTH, lambda: m.CatalogError(code="400", reason=("unknown filter",))),
    Case(
        "contract-request-initial",
        BOTH,
        lambda: m.ContractRequestMessage(
            consumer_pid=CONSUMER_PID, offer=_offer(), callback_address=CALLBACK
        ),
    ),
    Case("contract-request-counter", ONLY_2025, lambda: m.ContractRequestMessage(**_pids(), offer=_offer())),
    Case(
        "contract-request-full",
        ONLY_2024,
        lambda: m.ContractRequestMessage(**_pids(), offer=_offer(), callback_address=CALLBACK),
    ),
    Case(
        "contract-offer-initial",
        BOTH,
        lambda: m.ContractOfferMessage(provider_pid=PROVIDER_PID, offer=_offer(), callback_address=CALLBACK),
    ),
    Case("contract-offer-counter", ONLY_2025, lambda: m.ContractOfferMessage(**_pids(), offer=_offer())),
    Case(
        "contract-offer-full",
        ONLY_2024,
        lambda: m.ContractOfferMessage(**_pids(), offer=_offer(), callback_address=CALLBACK),
    ),
    Case(
        "contract-agreement", ONLY_2025, lambda: m.ContractAgreementMessage(**_pids(), agreement=_agreement())
    ),
    Case(
        "contract-agreement-full",
        ONLY_2024,
        lambda: m.ContractAgreementMessage(**_pids(), agreement=_agreement(), callback_address=CALLBACK),
    ),
    Case("contract-agreement-verification", BOTH, lambda: m.ContractAgreementVerificationMessage(**_pids())),
    Case(
        "contract-negotiation-event",
        BOTH,
        lambda: m.ContractNegotiationEventMessage(**_pids(), event_type=m.NegotiationEventType.ACCEPTED),
    ),
    Case(
        "contract-negotiation-termination",
        BOTH,
        lambda: m.ContractNegotiationTerminationMessage(**_pids(), code="99", reason=("offer expired",)),
    ),
    Case(
        "contract-negotiation",
        BOTH,
        lambda: m.ContractNegotiation(**_pids(), state=m.NegotiationState.AGREED),
    ),
    Case(
        "contract-negotiation-error",
        BOTH,
        lambda: m.ContractNegotiationError(**_pids(), code="400", reason=("invalid offer",)),
    ),
    Case(
        "transfer-request",
        BOTH,
        lambda: m.TransferRequestMessage(
            consumer_pid=CONSUMER_PID,
            agreement_id="urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
            format="HttpData-PUSH",
            callback_address=CALLBACK,
            data_address=_data_address(),
        ),
    ),
    Case("transfer-start", BOTH, lambda: m.TransferStartMessage(**_pids(), data_address=_data_address())),
    Case(
        "transfer-suspension",
        BOTH,
        lambda: m.TransferSuspensionMessage(**_pids(), code="42", reason=("maintenance",)),
    ),
    Case("transfer-completion", BOTH, lambda: m.TransferCompletionMessage(**_pids())),
    Case(
        "transfer-termination",
        BOTH,
        lambda: m.TransferTerminationMessage(**_pids(), code="99", reason=("agreement revoked",)),
    ),
    Case("transfer-process", BOTH, lambda: m.TransferProcess(**_pids(), state=m.TransferState.SUSPENDED)),
    Case("transfer-error", BOTH, lambda: m.TransferError(**_pids(), code="404", reason=("unknown process",))),
    Case("version-response", BOTH, lambda: _versions()),
]

_PARAMS = [
    pytest.param(case, version, id=f"{version}/{case.name}") for case in CASES for version in case.versions
]


def _message_type(model: Any) -> str:
    message_type: str = type(model).MESSAGE_TYPE
    return message_type


@pytest.mark.parametrize(("case", "version"), _PARAMS)
def test_roundtrip(case: Case, version: str) -> None:
    original = case.factory()
    encoded = wire.encode(original, dialect=f"dsp-{version}")
    if dsp_root() is not None:
        errors = schema_errors(version, _message_type(original), encoded)
        assert errors == [], "\n".join(errors)
    decoded = wire.decode(encoded, dialect=f"dsp-{version}")
    assert type(decoded) is type(original)
    assert decoded == original
    assert wire.decode(encoded) == original  # auto-detection finds the same dialect


@pytest.mark.parametrize(("case", "version"), _PARAMS)
def test_roundtrip_through_the_fallback(case: Case, version: str) -> None:
    original = case.factory()
    encoded = wire.encode(original, dialect=f"dsp-{version}")
    assert wire.decode(encoded, dialect=f"dsp-{version}", fallback=True) == original


def test_every_message_type_has_a_case() -> None:
    covered = {_message_type(case.factory()) for case in CASES}
    expected = {
        "CatalogRequestMessage",
        "DatasetRequestMessage",
        "Catalog",
        "Dataset",
        "CatalogError",
        "ContractRequestMessage",
        "ContractOfferMessage",
        "ContractAgreementMessage",
        "ContractAgreementVerificationMessage",
        "ContractNegotiationEventMessage",
        "ContractNegotiationTerminationMessage",
        "ContractNegotiation",
        "ContractNegotiationError",
        "TransferRequestMessage",
        "TransferStartMessage",
        "TransferSuspensionMessage",
        "TransferCompletionMessage",
        "TransferTerminationMessage",
        "TransferProcess",
        "TransferError",
        "VersionResponse",
    }
    assert covered == expected
    for version in VERSIONS:
        assert {_message_type(c.factory()) for c in CASES if version in c.versions} == expected


def test_catalog_equality_ignores_lazy_dataset_cache() -> None:
    first, second = _catalog(), _catalog()
    assert first.datasets == (_dataset(),)
    assert first == second  # one has built its Dataset objects, the other has not
