"""Builders of Gaia-X credentials; Tagus shapes checked against the trust-framework SHACL fixture."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity import gaiax
from d4h_sdk.jsonld import DocumentLoader, expand

from .conftest import BASE, ISSUED, NOTARY, PARTICIPANT, build_set

TAGUS = gaiax.GaiaXRelease.TAGUS
LOIRE = gaiax.GaiaXRelease.LOIRE
SHAPES = Path("gaiax") / "tagus-22.10" / "gx-compliance-fixtures" / "trustframework_context.json"
CRED = "https://www.w3.org/2018/credentials#"


# -- a small SHACL checker over the fixture's shapes (pyshacl is not a dependency) ---------------------------


class ShapeChecker:
    """Reads sh:NodeShapes from the JSON-LD fixture and checks expanded nodes against them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.prefixes: dict[str, str] = document["@context"]
        self.shapes = {shape["@id"]: shape for shape in document["@graph"]}

    def iri(self, compact: str) -> str:
        prefix, _, local = compact.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes else compact

    def targets(self, class_iri: str) -> list[str]:
        found = []
        for shape_id, shape in self.shapes.items():
            target = shape.get("sh:targetClass", [])
            targets = target if isinstance(target, list) else [target]
            if any(self.iri(t["@id"]) == class_iri for t in targets):
                found.append(shape_id)
        return found

    def required(self, shape_id: str) -> list[str]:
        return [self.iri(p["sh:path"]["@id"]) for p in self._props(shape_id) if p.get("sh:minCount", 0) >= 1]

    def _props(self, shape_id: str) -> list[dict[str, Any]]:
        props = self.shapes[shape_id].get("sh:property", [])
        return props if isinstance(props, list) else [props]

    def violations(self, node: dict[str, Any], shape_id: str) -> list[str]:
        errors: list[str] = []
        for prop in self._props(shape_id):
            path = self.iri(prop["sh:path"]["@id"])
            values = node.get(path, [])
            if len(values) < prop.get("sh:minCount", 0):
                errors.append(f"{shape_id}: {path} missing")
            if "sh:maxCount" in prop and len(values) > prop["sh:maxCount"]:
                errors.append(f"{shape_id}: {path} more than {prop['sh:maxCount']}")
            for value in values:
                errors.extend(self._value(shape_id, path, prop, value))
        return errors

    def _value(self, shape_id: str, path: str, prop: dict[str, Any], value: dict[str, Any]) -> list[str]:
        errors = []
        literal = value.get("@value")
        if "sh:in" in prop and literal not in prop["sh:in"]["@list"]:
            errors.append(f"{shape_id}: {path}={literal!r} not in {prop['sh:in']['@list']}")
        if "sh:pattern" in prop:
            flags = re.IGNORECASE if "i" in prop.get("sh:flags", "") else 0
            if not isinstance(literal, str) or not re.search(prop["sh:pattern"], literal, flags):
                errors.append(f"{shape_id}: {path}={literal!r} does not match {prop['sh:pattern']}")
        if "sh:hasValue" in prop and literal != prop["sh:hasValue"]:
            errors.append(f"{shape_id}: {path} does not have the required value")
        if "sh:minLength" in prop and (not isinstance(literal, str) or len(literal) < prop["sh:minLength"]):
            errors.append(f"{shape_id}: {path} shorter than {prop['sh:minLength']}")
        nested = prop.get("sh:node", {}).get("@id")
        if nested and set(value) - {"@id"}:  # an embedded node, not a reference to another credential
            errors.extend(self.violations(value, nested))
        return errors

    def check(self, expanded_subject: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Return (applied shapes, violations) for an expanded credential subject."""
        applied, errors = [], []
        for class_iri in expanded_subject.get("@type", []):
            for shape_id in self.targets(class_iri):
                applied.append(shape_id)
                errors.extend(self.violations(expanded_subject, shape_id))
        return applied, errors


@pytest.fixture(scope="module")
def shapes_document(shared_fixtures: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((shared_fixtures / SHAPES).read_text())
    return document


@pytest.fixture(scope="module")
def checker(shapes_document: dict[str, Any]) -> ShapeChecker:
    return ShapeChecker(shapes_document)


def expanded_subject(credential: dict[str, Any], loader: DocumentLoader | None = None) -> dict[str, Any]:
    nodes = expand(credential, loader=loader or gaiax.gaiax_document_loader())
    assert len(nodes) == 1
    subjects = nodes[0][CRED + "credentialSubject"]
    assert len(subjects) == 1
    subject: dict[str, Any] = subjects[0]
    return subject


@pytest.mark.parametrize(
    ("name", "expected_shape"),
    [
        ("participant", "gx:LegalParticipantShape"),
        ("lrn", "gx:legalRegistrationNumberShape"),
        ("terms", "gx:GaiaXTermsAndConditionsShape"),
        ("offering", "gx:ServiceOfferingShape"),
    ],
)
def test_tagus_credentials_satisfy_the_trust_framework_shapes(
    checker: ShapeChecker, name: str, expected_shape: str
) -> None:
    credential = build_set(TAGUS)[name]
    subject = expanded_subject(credential)
    applied, errors = checker.check(subject)
    assert expected_shape in applied
    assert errors == []
    for required in checker.required(expected_shape):
        assert subject.get(required), f"{required} missing from {name}"


@pytest.mark.parametrize(
    ("name", "key", "shape_error"),
    [
        ("participant", "gx:legalAddress", "gx:legalAddress missing"),
        ("participant", "gx:legalRegistrationNumber", "gx:legalRegistrationNumber missing"),
        ("offering", "gx:policy", "gx:policy missing"),
        ("offering", "gx:termsAndConditions", "gx:termsAndConditions missing"),
        ("offering", "gx:dataAccountExport", "gx:dataAccountExport missing"),
        ("terms", "gx:termsAndConditions", "gx:termsAndConditions missing"),
    ],
)
def test_the_shape_checker_catches_a_missing_required_property(
    checker: ShapeChecker, name: str, key: str, shape_error: str
) -> None:
    credential = copy.deepcopy(build_set(TAGUS)[name])
    del credential["credentialSubject"][key]
    _, errors = checker.check(expanded_subject(credential))
    assert any(shape_error.replace("gx:", gaiax.TAGUS_CONTEXT) in e for e in errors), errors


def test_the_shape_checker_catches_bad_nested_values(checker: ShapeChecker) -> None:
    credential = copy.deepcopy(build_set(TAGUS)["offering"])
    credential["credentialSubject"]["gx:dataAccountExport"]["gx:requestType"] = "carrier pigeon"
    credential["credentialSubject"]["gx:termsAndConditions"].pop("gx:hash")
    _, errors = checker.check(expanded_subject(credential))
    assert any("requestType" in e and "carrier pigeon" in e for e in errors)
    assert any("hash missing" in e for e in errors)
    terms = copy.deepcopy(build_set(TAGUS)["terms"])
    terms["credentialSubject"]["gx:termsAndConditions"] += " (amended)"
    _, errors = checker.check(expanded_subject(terms))
    assert any("required value" in e for e in errors)


def test_tagus_terms_text_is_the_shapes_required_value(shapes_document: dict[str, Any]) -> None:
    shape = next(s for s in shapes_document["@graph"] if s["@id"] == "gx:GaiaXTermsAndConditionsShape")
    assert gaiax.TAGUS_TERMS_AND_CONDITIONS == shape["sh:property"]["sh:hasValue"]


def test_the_offline_tagus_context_expands_like_the_published_document(
    shapes_document: dict[str, Any],
) -> None:
    published = DocumentLoader(
        documents={
            gaiax.TAGUS_CONTEXT: {"@context": shapes_document["@context"]},
            gaiax.TAGUS_CONTEXT.rstrip("#"): {"@context": shapes_document["@context"]},
        }
    )
    for credential in build_set(TAGUS).values():
        assert expand(credential, loader=gaiax.gaiax_document_loader()) == expand(
            credential, loader=published
        )
    assert gaiax.tagus_context_document()["@context"] == shapes_document["@context"]


def test_every_tagus_term_expands_to_an_iri() -> None:
    for credential in build_set(TAGUS).values():
        subject = expanded_subject(credential)
        assert all(key.startswith(("@", "https://")) for key in subject), subject.keys()


# -- shapes of each release -------------------------------------------------------------------------------------


def test_tagus_envelope_and_subjects() -> None:
    creds = build_set(TAGUS)
    participant = creds["participant"]
    assert participant["@context"] == [
        "https://www.w3.org/2018/credentials/v1",
        "https://w3id.org/security/suites/jws-2020/v1",
        gaiax.TAGUS_CONTEXT,
    ]
    assert participant["type"] == ["VerifiableCredential"]
    assert participant["issuer"] == PARTICIPANT
    assert participant["issuanceDate"] == "2025-01-02T03:04:05Z"
    subject = participant["credentialSubject"]
    assert subject == {
        "id": f"{BASE}/participant.json#cs",
        "type": "gx:LegalParticipant",
        "gx:legalName": "Centre Hospitalier Example",
        "gx:legalRegistrationNumber": {"id": f"{BASE}/lrn.json#cs"},
        "gx:headquarterAddress": {"gx:countrySubdivisionCode": "LU-LU"},
        "gx:legalAddress": {"gx:countrySubdivisionCode": "LU-LU"},
    }
    assert creds["lrn"]["credentialSubject"] == {
        "id": f"{BASE}/lrn.json#cs",
        "type": "gx:legalRegistrationNumber",
        "gx:vatID": "LU12345678",
    }
    assert creds["lrn"]["issuer"] == NOTARY
    resource = creds["resource"]["credentialSubject"]
    assert resource["type"] == "gx:DataResource"
    assert resource["gx:producedBy"] == {"id": subject["id"]}
    assert resource["gx:exposedThrough"] == [{"id": f"{BASE}/offering.json#cs"}]
    assert resource["gx:containsPII"] is False
    assert resource["gx:policy"] == ["https://hospital.example/policies/research-only"]
    offering = creds["offering"]["credentialSubject"]
    assert offering["gx:aggregationOf"] == [{"id": resource["id"]}]
    assert offering["gx:termsAndConditions"]["gx:URL"] == "https://hospital.example/terms.pdf"
    assert offering["gx:termsAndConditions"]["gx:hash"] == hashlib.sha256(b"terms").hexdigest()


def test_loire_envelope_and_subjects() -> None:
    creds = build_set(LOIRE)
    participant = creds["participant"]
    assert participant["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/gaia-x/2406#",
        {"schema": "https://schema.org/"},
    ]
    assert participant["type"] == ["VerifiableCredential", "gx:LegalPerson"]
    assert participant["validFrom"] == "2025-01-02T03:04:05Z"
    assert "issuanceDate" not in participant
    subject = participant["credentialSubject"]
    assert subject["type"] == "gx:LegalPerson"
    assert subject["schema:name"] == "Centre Hospitalier Example"
    assert subject["gx:registrationNumber"] == {"id": f"{BASE}/lrn.json#cs"}
    assert subject["gx:headquartersAddress"] == {
        "type": "gx:Address",
        "gx:countryCode": "LU",
        "gx:countrySubdivisionCode": "LU-LU",
    }
    lrn = creds["lrn"]
    assert lrn["type"] == ["VerifiableCredential", "gx:VatID"]
    assert lrn["credentialSubject"]["gx:vatID"] == "LU12345678"
    assert lrn["credentialSubject"]["gx:countryCode"] == "LU"
    terms = creds["terms"]
    assert terms["type"] == ["VerifiableCredential", "gx:Issuer"]
    assert terms["@context"] == ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/gaia-x/2406#"]
    assert terms["credentialSubject"]["gx:gaiaxTermsAndConditions"] == gaiax.LOIRE_TERMS_AND_CONDITIONS_HASH
    offering = creds["offering"]["credentialSubject"]
    assert (
        offering["gx:serviceOfferingTermsAndConditions"][0]["gx:url"] == "https://hospital.example/terms.pdf"
    )
    assert offering["gx:servicePolicy"][0]["gx:policyLanguage"] == "ODRL"
    assert offering["gx:dataAccountExport"][0]["type"] == "gx:DataAccountExport"
    assert offering["gx:aggregationOfResources"] == [{"id": creds["resource"]["credentialSubject"]["id"]}]
    resource = creds["resource"]["credentialSubject"]
    assert resource["gx:resourcePolicy"] == ["https://hospital.example/policies/research-only"]
    assert resource["schema:name"] == "Type 2 diabetes cohort"


@pytest.mark.parametrize(
    ("kind", "loire_type", "loire_prop"),
    [
        ("vatID", "gx:VatID", "gx:vatID"),
        ("leiCode", "gx:LeiCode", "schema:leiCode"),
        ("EORI", "gx:EORI", "gx:eori"),
        ("EUID", "gx:EUID", "gx:euid"),
        ("taxID", "gx:TaxID", "schema:taxID"),
    ],
)
def test_registration_number_kinds(kind: Any, loire_type: str, loire_prop: str) -> None:
    tagus = gaiax.legal_registration_number(TAGUS, issuer=NOTARY, vc_id="urn:x", kind=kind, number="ABC123")
    assert tagus["credentialSubject"][f"gx:{kind}"] == "ABC123"
    loire = gaiax.legal_registration_number(LOIRE, issuer=NOTARY, vc_id="urn:x", kind=kind, number="ABC123")
    assert loire["type"][1] == loire_type
    assert loire["credentialSubject"][loire_prop] == "ABC123"
    request = gaiax.registration_number_request("urn:x#cs", kind, "ABC123")
    assert request["type"] == "gx:legalRegistrationNumber"
    assert request[f"gx:{kind}"] == "ABC123"


def test_validity_window_and_extra_properties(release: gaiax.GaiaXRelease) -> None:
    until = ISSUED.replace(year=2026)
    vc = gaiax.legal_participant(
        release,
        issuer=PARTICIPANT,
        vc_id="urn:p",
        legal_name="X",
        registration_number_id="urn:l#cs",
        headquarter_subdivision="DE-BE",
        legal_subdivision="LU-CA",
        subject_id=PARTICIPANT,
        parent_organizations=["urn:parent#cs"],
        issued_at=ISSUED,
        valid_until=until,
        extra={"gx:description": "test"},
    )
    assert vc["expirationDate" if release is TAGUS else "validUntil"] == "2026-01-02T03:04:05Z"
    assert vc["credentialSubject"]["id"] == PARTICIPANT
    assert vc["credentialSubject"]["gx:description"] == "test"
    assert vc["credentialSubject"]["gx:legalAddress"]["gx:countrySubdivisionCode"] == "LU-CA"
    key = "gx:parentOrganization" if release is TAGUS else "gx:parentOrganizationOf"
    assert vc["credentialSubject"][key] == [{"id": "urn:parent#cs"}]


def test_default_issuance_time_is_now_utc(release: gaiax.GaiaXRelease) -> None:
    vc = gaiax.terms_and_conditions(release, issuer=PARTICIPANT, vc_id="urn:t")
    stamp = vc["issuanceDate" if release is TAGUS else "validFrom"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)


def test_tagus_presentation_wraps_credentials() -> None:
    creds = build_set(TAGUS)
    vp = gaiax.tagus_presentation([creds["participant"], creds["lrn"], creds["terms"]], vp_id="urn:vp")
    assert vp["@context"] == "https://www.w3.org/2018/credentials/v1"
    assert vp["type"] == "VerifiablePresentation"
    assert vp["id"] == "urn:vp"
    assert [c["id"] for c in vp["verifiableCredential"]] == [
        f"{BASE}/participant.json",
        f"{BASE}/lrn.json",
        f"{BASE}/tandc.json",
    ]
    with pytest.raises(ConfigurationError, match="at least one"):
        gaiax.tagus_presentation([])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: gaiax.legal_participant(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:p",
                legal_name="X",
                registration_number_id="urn:l",
                headquarter_subdivision="Luxembourg",
            ),
            "ISO 3166-2",
        ),
        (
            lambda r: gaiax.legal_participant(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:p",
                legal_name="",
                registration_number_id="urn:l",
                headquarter_subdivision="LU-LU",
            ),
            "legal_name",
        ),
        (
            lambda r: gaiax.legal_participant(
                r,
                issuer="",
                vc_id="urn:p",
                legal_name="X",
                registration_number_id="urn:l",
                headquarter_subdivision="LU-LU",
            ),
            "issuer",
        ),
        (
            lambda r: gaiax.legal_participant(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:p",
                legal_name="X",
                registration_number_id="urn:l",
                headquarter_subdivision="LU-LU",
                issued_at=ISSUED.replace(tzinfo=None),
            ),
            "timezone-aware",
        ),
        (
            lambda r: gaiax.legal_registration_number(
                r,
                issuer=NOTARY,
                vc_id="urn:x",
                kind="iban",  # type: ignore[arg-type]
                number="LU123",
            ),
            "unknown registration number kind",
        ),
        (
            lambda r: gaiax.legal_registration_number(
                r, issuer=NOTARY, vc_id="urn:x", kind="vatID", number="LU"
            ),
            "at least 3",
        ),
        (
            lambda r: gaiax.service_offering(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:o",
                provided_by="urn:p",
                policy="p",
                terms=[],
                data_account_export=gaiax.DataAccountExport("API", "digital", "text/csv"),
            ),
            "terms",
        ),
        (
            lambda r: gaiax.service_offering(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:o",
                provided_by="urn:p",
                policy=[],
                terms=gaiax.TermsReference("u", "0" * 64),
                data_account_export=gaiax.DataAccountExport("API", "digital", "text/csv"),
            ),
            "policy",
        ),
        (
            lambda r: gaiax.service_offering(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:o",
                provided_by="urn:p",
                policy="p",
                terms=gaiax.TermsReference("u", "0" * 64),
                data_account_export=gaiax.DataAccountExport("API", "digital", "text/csv"),
                data_protection_regime=["HIPAA"],
            ),
            "HIPAA",
        ),
        (
            lambda r: gaiax.data_resource(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:d",
                produced_by="urn:p",
                exposed_through="urn:o",
                copyright_owned_by="me",
                license="MIT",
                contains_pii="no",  # type: ignore[arg-type]
                policy="p",
            ),
            "contains_pii",
        ),
        (
            lambda r: gaiax.data_resource(
                r,
                issuer=PARTICIPANT,
                vc_id="urn:d",
                produced_by="urn:p",
                exposed_through=[],
                copyright_owned_by="me",
                license="MIT",
                contains_pii=True,
                policy="p",
            ),
            "exposed_through",
        ),
        (lambda r: gaiax.DataAccountExport("fax", "digital", "text/csv"), "request_type"),
        (lambda r: gaiax.DataAccountExport("API", "cloud", "text/csv"), "access_type"),
        (lambda r: gaiax.DataAccountExport("API", "digital", "csv"), "media type"),
        (lambda r: gaiax.TermsReference("https://x", "ABC"), "64 lowercase hex"),
        (lambda r: gaiax.TermsReference("", "0" * 64), "URL"),
        (lambda r: gaiax.GaiaXRelease("danube"), "danube"),
    ],
)
def test_invalid_inputs_are_refused_with_a_clear_message(
    release: gaiax.GaiaXRelease, call: Any, message: str
) -> None:
    with pytest.raises((ConfigurationError, ValueError), match=message):
        call(release)


def test_release_properties() -> None:
    assert TAGUS.version == "22.10" and LOIRE.version == "24.06"
    assert TAGUS.vc_version == "1.1" and LOIRE.vc_version == "2.0"
    assert gaiax.GaiaXRelease("loire") is LOIRE
    assert TAGUS.compliance_path() == "/api/credential-offers"
    assert LOIRE.compliance_path("label-level-1") == "/api/credential-offers/label-level-1"
    assert LOIRE.compliance_media_type == "application/vp+jwt"
    assert LOIRE.gx_context == "https://w3id.org/gaia-x/2406#"
