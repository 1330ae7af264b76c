"""Every DCP example validates into its model and re-serialises to a document its schema accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT201909

from d4h_sdk.identity.dcp import (
    DCP_CONTEXT,
    CredentialMessage,
    CredentialObject,
    CredentialOfferMessage,
    CredentialRequestMessage,
    CredentialStatus,
    IssuerMetadata,
    PresentationQueryMessage,
    PresentationResponseMessage,
)

BASE = "https://w3id.org/dspace-dcp/v1.0/"
PE = "https://identity.foundation/"

# example file -> (model, schema file)
EXAMPLES: dict[str, tuple[type[BaseModel], str]] = {
    "issuance/example/credential-message-rejected.json": (
        CredentialMessage,
        "issuance/credential-message-schema.json",
    ),
    "issuance/example/credential-message.json": (
        CredentialMessage,
        "issuance/credential-message-schema.json",
    ),
    "issuance/example/credential-object.json": (CredentialObject, "issuance/credential-object-schema.json"),
    "issuance/example/credential-offer-message.json": (
        CredentialOfferMessage,
        "issuance/credential-offer-message-schema.json",
    ),
    "issuance/example/credential-request-message.json": (
        CredentialRequestMessage,
        "issuance/credential-request-message-schema.json",
    ),
    "issuance/example/credential-status.json": (CredentialStatus, "issuance/credential-status-schema.json"),
    "issuance/example/issuer-metadata.json": (IssuerMetadata, "issuance/issuer-metadata-schema.json"),
    "presentation/example/presentation-query-message-w-presentation-definition.json": (
        PresentationQueryMessage,
        "presentation/presentation-query-message-schema.json",
    ),
    "presentation/example/presentation-query-message.json": (
        PresentationQueryMessage,
        "presentation/presentation-query-message-schema.json",
    ),
    "presentation/example/presentation-response-message-w-presentation-submission.json": (
        PresentationResponseMessage,
        "presentation/presentation-response-message-schema.json",
    ),
    "presentation/example/presentation-response-message.json": (
        PresentationResponseMessage,
        "presentation/presentation-response-message-schema.json",
    ),
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec(shared_fixtures: Path) -> Path:
    return shared_fixtures / "dcp" / "spec"


@pytest.fixture(scope="module")
def registry(spec: Path) -> Registry:
    main, test = spec / "main" / "resources", spec / "test" / "resources"
    resources: list[tuple[str, Resource]] = []
    for path in sorted(main.glob("*/*-schema.json")):
        contents = _load(path)
        resource = Resource.from_contents(contents, default_specification=DRAFT201909)
        # Register under the URL other schemas use AND under the schema's own $id (they differ for
        # context-schema.json: $id says v08; and credential-message-schema.json: $id says presentation/).
        resources.append((BASE + path.relative_to(main).as_posix(), resource))
        resources.append((contents["$id"], resource))
    for path in sorted(test.glob("*/schemas/*.json")):
        resource = Resource.from_contents(_load(path), default_specification=DRAFT7)
        resources.append((PE + path.relative_to(test).as_posix(), resource))
    from jsonschema_specifications import REGISTRY as SPECIFICATIONS  # type: ignore[import-untyped]

    return (Registry().with_resources(resources)).combine(SPECIFICATIONS)


def _validator(spec: Path, registry: Registry, schema_file: str) -> Draft201909Validator:
    return Draft201909Validator(_load(spec / "main" / "resources" / schema_file), registry=registry)


def test_every_example_is_covered(spec: Path) -> None:
    found = {
        p.relative_to(spec / "main" / "resources").as_posix()
        for p in spec.glob("main/resources/*/example/*.json")
    }
    assert found == set(EXAMPLES)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_round_trips_and_validates(spec: Path, registry: Registry, example: str) -> None:
    model_cls, schema_file = EXAMPLES[example]
    raw = _load(spec / "main" / "resources" / example)
    validator = _validator(spec, registry, schema_file)
    assert not list(validator.iter_errors(raw)), "the official example must pass its own schema"
    model = model_cls.model_validate(raw)
    out = model.to_json()  # type: ignore[attr-defined]
    assert out == raw
    assert not [e.message for e in validator.iter_errors(out)]
    assert model_cls.model_validate(out) == model


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_at_type_is_accepted(spec: Path, example: str) -> None:
    model_cls, _ = EXAMPLES[example]
    raw = _load(spec / "main" / "resources" / example)
    raw["@type"] = raw.pop("type")
    model = model_cls.model_validate(raw)
    assert model.to_json()["type"] == raw["@type"]  # type: ignore[attr-defined]
    assert "@type" not in model.to_json()  # type: ignore[attr-defined]


def test_models_are_immutable() -> None:
    message = PresentationQueryMessage(scope=("a:b",))
    with pytest.raises(ValidationError):
        message.scope = ("c:d",)  # type: ignore[misc]


def test_defaults_validate_against_schemas(spec: Path, registry: Registry) -> None:
    query = PresentationQueryMessage(scope=("org.eclipse.dspace.dcp.vc.type:MembershipCredential",)).to_json()
    assert query == {
        "@context": [DCP_CONTEXT],
        "type": "PresentationQueryMessage",
        "scope": ["org.eclipse.dspace.dcp.vc.type:MembershipCredential"],
    }
    assert _validator(spec, registry, "presentation/presentation-query-message-schema.json").is_valid(query)
    response = PresentationResponseMessage(
        presentation=("ey.jwt.vp", {"type": "VerifiablePresentation"})
    ).to_json()
    assert _validator(spec, registry, "presentation/presentation-response-message-schema.json").is_valid(
        response
    )


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage"}, "exactly one"),
        (
            {
                "@context": [DCP_CONTEXT],
                "type": "PresentationQueryMessage",
                "scope": ["a:b"],
                "presentationDefinition": {"id": "x", "input_descriptors": []},
            },
            "exactly one",
        ),
        ({"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage", "scope": []}, "must not be empty"),
        (
            {"@context": ["https://example.org/other"], "type": "PresentationQueryMessage", "scope": ["a:b"]},
            "must contain",
        ),
        (
            {"@context": [DCP_CONTEXT], "type": "PresentationResponseMessage", "scope": ["a:b"]},
            "literal_error|Input",
        ),
        (
            {
                "@context": [DCP_CONTEXT],
                "type": "PresentationQueryMessage",
                "@type": "Other",
                "scope": ["a:b"],
            },
            "disagree",
        ),
    ],
)
def test_invalid_queries(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        PresentationQueryMessage.model_validate(data)


def test_context_string_is_read_as_array() -> None:
    message = PresentationQueryMessage.model_validate(
        {"@context": DCP_CONTEXT, "type": "PresentationQueryMessage", "scope": ["a:b"]}
    )
    assert message.to_json()["@context"] == [DCP_CONTEXT]


def test_edc_context_with_submission_context_is_accepted() -> None:
    message = PresentationQueryMessage.model_validate(
        {
            "@context": ["https://identity.foundation/presentation-exchange/submission/v1", DCP_CONTEXT],
            "type": "PresentationQueryMessage",
            "scope": ["org.eclipse.edc.vc.type:MembershipCredential:read"],
        }
    )
    assert message.scope == ("org.eclipse.edc.vc.type:MembershipCredential:read",)


def test_credential_message_and_status_enums() -> None:
    with pytest.raises(ValidationError):
        CredentialMessage.model_validate(
            {"@context": [DCP_CONTEXT], "type": "CredentialMessage", "issuerPid": "i", "status": "RECEIVED"}
        )
    status = CredentialStatus.model_validate({"issuerPid": "i", "holderPid": "h", "status": "RECEIVED"})
    assert status.to_json() == {
        "@context": [DCP_CONTEXT],
        "type": "CredentialStatus",
        "issuerPid": "i",
        "holderPid": "h",
        "status": "RECEIVED",
    }


# --- schema quirks at this commit (notes/identity.md §1.6), asserted so a fixture update is noticed ----------


def test_quirk_credential_message_schema(spec: Path, registry: Registry) -> None:
    schema = _load(spec / "main" / "resources" / "issuance/credential-message-schema.json")
    # $id places it under presentation/ although the file is under issuance/
    assert schema["$id"] == BASE + "presentation/credential-message-schema.json"
    definition = schema["definitions"]["CredentialMessage"]
    # it requires `type` but declares `credentialType: const "CredentialMessage"` instead of a `type` property
    assert "type" in definition["required"] and "type" not in definition["properties"]
    assert definition["properties"]["credentialType"]["const"] == "CredentialMessage"
    validator = _validator(spec, registry, "issuance/credential-message-schema.json")
    # so any `type` passes the schema; our model refuses it
    wrong = {"@context": [DCP_CONTEXT], "type": "SomethingElse", "issuerPid": "i", "status": "ISSUED"}
    assert validator.is_valid(wrong)
    with pytest.raises(ValidationError):
        CredentialMessage.model_validate(wrong)


def test_quirk_context_schema_id_and_profile_alias(spec: Path) -> None:
    context_schema = _load(spec / "main" / "resources" / "common/context-schema.json")
    assert context_schema["$id"] == "https://w3id.org/dspace-dcp/v08/common/context-schema.json"
    # examples use the alias vc10-sl2021/jwt while dcp.profiles.md defines vc11-sl2021/jwt: we accept any profile
    offer = CredentialOfferMessage.model_validate(
        _load(spec / "main" / "resources" / "issuance/example/credential-offer-message.json")
    )
    assert offer.credentials[0].profile == "vc10-sl2021/jwt"


def test_schema_refs_are_really_followed(spec: Path, registry: Registry) -> None:
    validator = _validator(spec, registry, "presentation/presentation-query-message-schema.json")
    bad_definition = {
        "@context": [DCP_CONTEXT],
        "type": "PresentationQueryMessage",
        "presentationDefinition": {"id": "x"},
    }  # input_descriptors missing (PE schema)
    assert not validator.is_valid(bad_definition)
    assert not validator.is_valid(
        {"@context": ["https://example.org/x"], "type": "PresentationQueryMessage", "scope": ["a:b"]}
    )  # the context-schema via its v1.0 URL
