"""The sandbox's datasets: synthetic payloads with HealthDCAT-AP R8 metadata and ODRL offers.

:func:`default_datasets` gives four datasets with different access rights and policies, so that the same
requester is granted one and refused another:

=================== ========== ========================================================================
id                  access     offers (DS4H operands + EHDS purposes)
=================== ========== ========================================================================
diabetes-cohort     NON_PUBLIC research (active EU member, research purposes, DAC approval or permit);
                               a statistics request (anonymised statistical output only)
oncology-cohort     NON_PUBLIC AI training (public ownership, permit or DAC, SPE); research with a permit
                               and public ownership
diabetes-sample     PUBLIC     active member, research or education
benchmark-file      PUBLIC     the DS4H baseline (active research organisation in LU)
=================== ========== ========================================================================

Every offer also prohibits the EHDS Art 54 purposes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health import to_asset_properties
from d4h_sdk.health.healthdcat import (
    AccessRights,
    Activity,
    DatasetType,
    HealthActivity,
    HealthCategory,
    HealthDataset,
    HealthDatasetBuilder,
    HealthTheme,
    LegalBasis,
    PeriodOfTime,
    PersonalData,
    PublisherType,
    Purpose,
    Standard,
    ValidationReport,
    agent,
    validate,
)
from d4h_sdk.health.readers import CODING_SYSTEM_BASE, HealthStatistics
from d4h_sdk.models import Offer
from d4h_sdk.policy import (
    MembershipStatus,
    OrganizationOwnershipType,
    PolicyBuilder,
    ai_training,
    ds4h_baseline,
    operands,
    purposes,
    research,
    statistics_request,
)
from d4h_sdk.sandbox.synthetic._bigfile import GIB, BigFile
from d4h_sdk.sandbox.synthetic._csv import CSV_MEDIA_TYPE, iter_csv
from d4h_sdk.sandbox.synthetic._diabetes import DiabetesCohort
from d4h_sdk.sandbox.synthetic._fhir import FHIR_NDJSON_MEDIA_TYPE, iter_fhir_ndjson
from d4h_sdk.sandbox.synthetic._model import Cohort
from d4h_sdk.sandbox.synthetic._oncology import OncologyCohort
from d4h_sdk.sandbox.synthetic._payload import Payload
from d4h_sdk.sandbox.synthetic._stats import CohortSummary, summarize

__all__ = ["DATASET_IRI_BASE", "DEFAULT_ACCESS_URL", "SandboxDataset", "cohort_payloads", "default_datasets"]

DATASET_IRI_BASE = "urn:d4h:sandbox:dataset:"
"""Prefix of the HealthDCAT-AP dataset IRIs (``urn:d4h:sandbox:dataset:diabetes-cohort``)."""
OFFER_ID_BASE = "urn:d4h:sandbox:offer:"
DEFAULT_ACCESS_URL = "http://127.0.0.1/dsp"
"""Placeholder distribution access URL; the provider passes its real DSP endpoint."""
_HOLDER = "Sandbox Hospital (synthetic)"
_EMAIL = "data-desk@sandbox-hospital.example"
_LUXEMBOURG = "http://publications.europa.eu/resource/authority/country/LUX"
_RETENTION = PeriodOfTime(start=date(2025, 1, 1), end=date(2034, 12, 31))


@dataclass(frozen=True)
class SandboxDataset:
    """A dataset the sandbox provider publishes.

    Attributes:
        id: The asset / DSP dataset id (``diabetes-cohort``).
        title: A short title.
        description: What the dataset contains.
        access_rights: The HealthDCAT-AP access level.
        health: The HealthDCAT-AP R8 description (IRI ``DATASET_IRI_BASE + id``).
        offers: The ODRL offers (DSP 2025-1 compact form, no ``target``).
        payloads: The downloadable forms; the first is the default.
        statistics: The published (rounded) statistics, or ``None`` for a non-health payload.
        summary: The exact figures of the generated cohort (for tests), or ``None``.
    """

    id: str
    title: str
    description: str
    access_rights: AccessRights
    health: HealthDataset
    offers: tuple[Offer, ...]
    payloads: tuple[Payload, ...]
    statistics: HealthStatistics | None = None
    summary: CohortSummary | None = None

    @property
    def properties(self) -> dict[str, Any]:
        """The asset properties to publish: HealthDCAT-AP terms keyed by absolute IRIs."""
        return to_asset_properties(self.health)

    def payload(self, name: str | None = None) -> Payload:
        """The payload called ``name`` (default: the first one).

        Raises:
            ConfigurationError: No payload has that name.
        """
        if name is None:
            return self.payloads[0]
        for item in self.payloads:
            if item.name == name:
                return item
        raise ConfigurationError(
            f"dataset {self.id!r} has no payload {name!r}; it has {[p.name for p in self.payloads]}"
        )

    def offer(self, key: str) -> Offer:
        """The offer whose id ends with ``:key`` (``research``, ``statistics``...).

        Raises:
            ConfigurationError: No such offer.
        """
        for item in self.offers:
            if item.id is not None and item.id.endswith(f":{key}"):
                return item
        raise ConfigurationError(f"dataset {self.id!r} has no offer {key!r}")

    def validate(self) -> ValidationReport:
        """Check the HealthDCAT-AP description for its own access level."""
        return validate(self.health)


def cohort_payloads(cohort: Cohort) -> tuple[Payload, Payload]:
    """The CSV (``cohort.csv``) and FHIR R4 NDJSON (``fhir.ndjson``) payloads of a cohort."""
    return (
        Payload("cohort.csv", CSV_MEDIA_TYPE, lambda: iter_csv(cohort)),
        Payload("fhir.ndjson", FHIR_NDJSON_MEDIA_TYPE, lambda: iter_fhir_ndjson(cohort)),
    )


def _offers(dataset_id: str, **builders: PolicyBuilder) -> tuple[Offer, ...]:
    return tuple(b.offer(f"{OFFER_ID_BASE}{dataset_id}:{key}") for key, b in builders.items())


def _base(
    dataset_id: str,
    title: str,
    description: str,
    access: AccessRights,
    access_url: str,
    keywords: Sequence[str],
) -> HealthDatasetBuilder:
    holder = agent(_HOLDER, email=_EMAIL, type=PublisherType.NON_GOV_ORG)
    return (
        HealthDatasetBuilder(DATASET_IRI_BASE + dataset_id, title=title, description=description)
        .set(
            identifier=f"SANDBOX-{dataset_id.upper()}",
            access_rights=access,
            types=(DatasetType.SYNTHETIC_DATA,),
            health_categories=(HealthCategory.EHRS,),
            provenance=(
                "Generated by the d4h_sdk sandbox synthetic generator; no real person is described.",
            ),
            spatial=(_LUXEMBOURG,),
            retention_period=_RETENTION,
            personal_data=(PersonalData.AGE, PersonalData.GENDER, PersonalData.HEALTH_RECORD),
            legal_bases=(LegalBasis(description=("EHDS Regulation (EU) 2025/327, Chapter IV",)),),
            publisher=holder,
            custodian=holder,
        )
        .add("keywords", "synthetic", *keywords)
        .hdab("HDAB-LU (sandbox)", email="hdab@sandbox-hdab.example")
        .contact(email=_EMAIL, name="Data access desk")
        .distribution(access_url=access_url, title="Dataspace Protocol endpoint")
    )


@dataclass(frozen=True)
class _CohortSpec:
    dataset_id: str
    title: str
    description: str
    access: AccessRights
    theme: HealthTheme
    keywords: tuple[str, ...]
    purposes: tuple[str, ...]


def _cohort_dataset(
    spec: _CohortSpec,
    cohort: Cohort,
    access_url: str,
    offers: dict[str, PolicyBuilder],
    *,
    sample: str | None,
) -> SandboxDataset:
    summary = summarize(cohort)
    stats = summary.statistics()
    codes = sorted(summary.codes)
    categories = sorted({code.split(".")[0] for code in codes if code[:1].isalpha()} - set(codes))
    builder = (
        _base(spec.dataset_id, spec.title, spec.description, spec.access, access_url, spec.keywords)
        .set(
            health_themes=(spec.theme,),
            purposes=tuple(Purpose(id=iri) for iri in spec.purposes),
            number_of_records=stats.number_of_records,
            number_of_unique_individuals=stats.number_of_unique_individuals,
            min_typical_age=stats.min_typical_age,
            max_typical_age=stats.max_typical_age,
            coding_systems=tuple(CODING_SYSTEM_BASE + code for code in stats.coding_systems),
            code_values=(*categories, *codes),
            conforms_to=(Standard.FHIR,),
            temporal=(PeriodOfTime(start=stats.temporal_start, end=stats.temporal_end),),
            population_coverage=(f"{summary.patients} synthetic patients of a Luxembourg-like hospital",),
            generated_by=(Activity(type=HealthActivity.COHORT, label=("Synthetic cohort generation",)),),
        )
        .variables(f"Variables of the synthetic {cohort.name} cohort", cohort.columns(), url="cohort.csv")
    )
    if spec.access is AccessRights.NON_PUBLIC:
        builder.distribution(
            access_url=access_url, kind="analytics", title="Aggregate counts (small cells suppressed)"
        )
    if sample is not None:
        builder.distribution(
            access_url=access_url, kind="samples", title=f"Public synthetic sample: {sample}"
        )
    return SandboxDataset(
        id=spec.dataset_id,
        title=spec.title,
        description=spec.description,
        access_rights=spec.access,
        health=builder.build(),
        offers=_offers(spec.dataset_id, **offers),
        payloads=cohort_payloads(cohort),
        statistics=stats,
        summary=summary,
    )


_DIABETES_TEXT = (
    "Synthetic diabetes clinic follow-up (type 1, type 2 and gestational diabetes): visits with HbA1c in % "
    "and mmol/mol, fasting glucose, BMI, blood pressure, lipids, creatinine and eGFR, and antidiabetic drugs "
    "(ATC). Available as CSV and FHIR R4 NDJSON."
)
_ONCOLOGY_TEXT = (
    "Synthetic breast, lung and colon cancer patients (ICD-10 C50.9, C34.9, C18.9) with ICD-O-3 morphology, "
    "clinical TNM and stage group, ECOG status, receptor status and anticancer drugs (ATC). Rare subtypes "
    "raise the re-identification risk: record-level access needs a permit and a secure processing "
    "environment."
)


def default_datasets(
    *,
    seed: int = 0,
    patients: int = 200,
    bigfile_size: int = GIB,
    access_url: str = DEFAULT_ACCESS_URL,
    sample_patients: int = 20,
) -> list[SandboxDataset]:
    """The sandbox's default datasets (see the module docstring for their policies).

    Args:
        seed: The seed of every generator.
        patients: Patients in each of the two full cohorts.
        bigfile_size: Size in bytes of the benchmark file (generated on demand, never held in memory).
        access_url: The provider's DSP endpoint, written as the distributions' access URL.
        sample_patients: Patients in the public diabetes sample.

    Returns:
        ``diabetes-cohort``, ``oncology-cohort``, ``diabetes-sample`` and ``benchmark-file``.

    Raises:
        ConfigurationError: A negative size.
    """
    diabetes = _CohortSpec(
        "diabetes-cohort",
        "Synthetic diabetes cohort (record level)",
        _DIABETES_TEXT,
        AccessRights.NON_PUBLIC,
        HealthTheme.NONCOMMUNICABLE_DISEASES,
        ("diabetes", "HbA1c", "FHIR"),
        (purposes.SCIENTIFIC_RESEARCH.iri, purposes.OFFICIAL_STATISTICS.iri),
    )
    oncology = _CohortSpec(
        "oncology-cohort",
        "Synthetic oncology cohort for tumour boards and AI training",
        _ONCOLOGY_TEXT,
        AccessRights.NON_PUBLIC,
        HealthTheme.CANCER_DISEASE,
        ("oncology", "cancer", "TNM", "FHIR"),
        (purposes.ALGORITHM_TRAINING.iri, purposes.SCIENTIFIC_RESEARCH.iri),
    )
    sample = _CohortSpec(
        "diabetes-sample",
        "Synthetic diabetes sample (public)",
        _DIABETES_TEXT,
        AccessRights.PUBLIC,
        HealthTheme.NONCOMMUNICABLE_DISEASES,
        ("diabetes", "sample", "education"),
        (purposes.SCIENTIFIC_RESEARCH.iri, purposes.EDUCATION.iri),
    )
    open_use = (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, MembershipStatus.ACTIVE)
        .purposes(purposes.SCIENTIFIC_RESEARCH, purposes.EDUCATION)
        .prohibit_art54()
    )
    permit_research = research(gate="permit").require(
        operands.ORGANIZATION_OWNERSHIP_TYPE, OrganizationOwnershipType.PUBLIC
    )
    return [
        _cohort_dataset(
            diabetes,
            DiabetesCohort(seed=seed, patients=patients),
            access_url,
            {"research": research(), "statistics": statistics_request()},
            sample="diabetes-sample",
        ),
        _cohort_dataset(
            oncology,
            OncologyCohort(seed=seed, patients=patients),
            access_url,
            {"ai": ai_training(), "research": permit_research},
            sample=None,
        ),
        _cohort_dataset(
            sample,
            DiabetesCohort(seed=seed + 1, patients=sample_patients),
            access_url,
            {"open": open_use},
            sample=None,
        ),
        _benchmark(seed, bigfile_size, access_url),
    ]


def _benchmark(seed: int, size: int, access_url: str) -> SandboxDataset:
    big = BigFile(size=size, seed=seed)
    title = "Download benchmark file"
    description = (
        f"{size} bytes of deterministic pseudo-random test data for download benchmarks; no health "
        "information. Generated on demand and streamed."
    )
    health = (
        _base(
            "benchmark-file", title, description, AccessRights.PUBLIC, access_url, ("benchmark", "test data")
        )
        .set(types=(DatasetType.TEST_DATA,), personal_data=(), has_structured_data=False)
        .build()
    )
    payload = Payload(
        big.name,
        big.media_type,
        big.chunks,
        size=big.size,
        sha256=lambda: big.sha256,
        range_reader=big.chunks,
    )
    return SandboxDataset(
        id="benchmark-file",
        title=title,
        description=description,
        access_rights=AccessRights.PUBLIC,
        health=health,
        offers=_offers("benchmark-file", baseline=ds4h_baseline().prohibit_art54()),
        payloads=(payload,),
    )
