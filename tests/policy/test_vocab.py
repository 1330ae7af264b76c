from __future__ import annotations

import subprocess
import sys

import pytest

from d4h_sdk.policy import (
    D4H_EHDS,
    EDC,
    EHDS,
    ODRL,
    duo,
    expand_iri,
    operands,
    purposes,
)


def test_art53_purposes_use_dpv_iris_and_letters() -> None:
    assert (
        purposes.SCIENTIFIC_RESEARCH.iri == "https://w3id.org/dpv/legal/eu/ehds#HealthcareScientificResearch"
    )
    assert purposes.SCIENTIFIC_RESEARCH.article == "Art 53(1)(e)"
    assert purposes.AI_TRAINING.article == "Art 53(1)(e)(ii)"
    assert purposes.PRODUCT_DEVELOPMENT.article == "Art 53(1)(e)(i)"
    assert purposes.OFFICIAL_STATISTICS.article == "Art 53(1)(c)"
    assert purposes.EDUCATION.article == "Art 53(1)(d)"
    assert purposes.IMPROVE_HEALTHCARE.article == "Art 53(1)(f)"
    assert purposes.PUBLIC_POLICY_MAKING.article == "Art 53(1)(b)"
    assert purposes.PUBLIC_HEALTH_SURVEILLANCE.article == "Art 53(1)(a)"
    assert all(p.iri.startswith(EHDS) for p in purposes.permitted)
    assert len(purposes.permitted) == 17
    letters = {p.article[:12] for p in purposes.permitted}
    assert letters == {f"Art 53(1)({x})" for x in "abcdef"}


def test_art53_2_public_sector_flags() -> None:
    public = {p.article[10] for p in purposes.permitted if p.public_sector_only}
    assert public == {"a", "b", "c"}
    assert not purposes.SCIENTIFIC_RESEARCH.public_sector_only


def test_art54_purposes_are_sdk_iris_and_prohibited() -> None:
    banned = purposes.prohibited
    assert [p.article for p in banned] == [f"Art 54({x})" for x in "abcde"]
    assert all(p.iri.startswith(D4H_EHDS + "art54:") and p.prohibited for p in banned)
    assert len({p.iri for p in banned}) == 5


def test_hierarchy_parents() -> None:
    assert purposes.AI_TRAINING.parent == purposes.ALGORITHM_TRAINING.iri
    assert purposes.ALGORITHM_TRAINING.parent == purposes.SCIENTIFIC_RESEARCH.iri
    assert purposes.CROSS_BORDER_THREATS.parent == purposes.PUBLIC_INTEREST_HEALTH.iri
    assert duo.DS.parent == duo.HMB.iri and duo.HMB.parent == duo.GRU.iri


def test_lookup_by_compact_iri() -> None:
    assert purposes.get("eu-ehds:HealthcareScientificResearch") is purposes.SCIENTIFIC_RESEARCH
    assert purposes.get("urn:nope") is None
    assert duo.get("DUO:0000042") is duo.GRU
    assert duo.get("obo:DUO_0000046") is duo.NCU
    assert duo.GRU.iri == "http://purl.obolibrary.org/obo/DUO_0000042"
    assert str(duo.HMB) == duo.HMB.iri and str(purposes.EDUCATION) == purposes.EDUCATION.iri
    assert len(duo) == 23


def test_ds4h_operands() -> None:
    names = [o.name for o in operands.ds4h]
    assert names == [
        "membershipStatus",
        "euEeaStatus",
        "organizationType",
        "jurisdictionCountry",
        "organizationOwnershipType",
        "organizationRoles",
        "dataProtectionRole",
        "supportedProtocols",
        "dacApproval",
        "permitIssued",
    ]
    assert all(o.iri == EDC + o.name for o in operands.ds4h)
    assert operands.MEMBERSHIP_STATUS.values == ("active",)
    assert operands.EU_EEA_STATUS.values == ("eu-member-state", "third-country")
    assert operands.DAC_APPROVAL.closed and operands.DAC_APPROVAL.kind == "boolean"
    assert operands.PURPOSE.iri == ODRL + "purpose" and operands.PURPOSE.wire == "odrl:purpose"
    assert operands.MEMBERSHIP_STATUS.wire == EDC + "membershipStatus"
    for alias in ("membershipStatus", "edc:membershipStatus", EDC + "membershipStatus"):
        assert operands.get(alias) is operands.MEMBERSHIP_STATUS
    assert operands.get("nope") is None
    assert not operands.DATA_FORMAT.enforced


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eu-ehds:ImproveHealthcare", EHDS + "ImproveHealthcare"),
        ("https://example.org/x", "https://example.org/x"),
        ("LU", "LU"),
        ("dataspace-protocol-http:2025-1", "dataspace-protocol-http:2025-1"),
    ],
)
def test_expand_iri(value: str, expected: str) -> None:
    assert expand_iri(value) == expected


def test_import_is_light() -> None:
    code = (
        "import sys, d4h_sdk, d4h_sdk.policy; "
        "print(sorted(m for m in ('pandas', 'pyshacl', 'rdflib', 'pyld', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve() -> None:
    import d4h_sdk.policy as policy

    for name in policy.__all__:
        assert getattr(policy, name) is not None
    assert set(dir(policy)) == set(policy.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        policy.nope  # noqa: B018
