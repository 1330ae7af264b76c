"""Shared builders for the Gaia-X tests: one participant's credentials for each release."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from d4h_sdk.identity import gaiax

PARTICIPANT = "did:web:hospital.example"
NOTARY = "did:web:notary.example"
BASE = "https://hospital.example/credentials"
ISSUED = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def build_set(release: gaiax.GaiaXRelease) -> dict[str, dict[str, Any]]:
    """Participant, registration number, T&C, service offering and data resource credentials."""
    lrn = gaiax.legal_registration_number(
        release, issuer=NOTARY, vc_id=f"{BASE}/lrn.json", kind="vatID", number="LU12345678", country_code="lu"
    )
    participant = gaiax.legal_participant(
        release,
        issuer=PARTICIPANT,
        vc_id=f"{BASE}/participant.json",
        legal_name="Centre Hospitalier Example",
        registration_number_id=lrn["credentialSubject"]["id"],
        headquarter_subdivision="LU-LU",
        issued_at=ISSUED,
    )
    terms = gaiax.terms_and_conditions(
        release, issuer=PARTICIPANT, vc_id=f"{BASE}/tandc.json", issued_at=ISSUED
    )
    resource = gaiax.data_resource(
        release,
        issuer=PARTICIPANT,
        vc_id=f"{BASE}/diabetes-cohort.json",
        produced_by=participant["credentialSubject"]["id"],
        exposed_through=f"{BASE}/offering.json#cs",
        copyright_owned_by=participant["credentialSubject"]["id"],
        license="CC-BY-4.0",
        contains_pii=False,
        policy="https://hospital.example/policies/research-only",
        name="Type 2 diabetes cohort",
        issued_at=ISSUED,
    )
    offering = gaiax.service_offering(
        release,
        issuer=PARTICIPANT,
        vc_id=f"{BASE}/offering.json",
        provided_by=participant["credentialSubject"]["id"],
        policy='{"@type": "odrl:Offer"}',
        terms=gaiax.TermsReference.of_document("https://hospital.example/terms.pdf", b"terms"),
        data_account_export=gaiax.DataAccountExport("API", "digital", "application/fhir+json"),
        aggregation_of=[resource["credentialSubject"]["id"]],
        data_protection_regime=["GDPR2016"],
        name="Diabetes research data",
        issued_at=ISSUED,
    )
    return {
        "lrn": lrn,
        "participant": participant,
        "terms": terms,
        "offering": offering,
        "resource": resource,
    }


@pytest.fixture(params=list(gaiax.GaiaXRelease), ids=lambda r: r.value)
def release(request: pytest.FixtureRequest) -> gaiax.GaiaXRelease:
    return gaiax.GaiaXRelease(request.param)
