"""A synthetic oncology cohort for the DS4H molecular-tumour-board use case (notes/health.md §6, §7.1).

Breast (ICD-10 ``C50.9``), lung (``C34.9``) and colon cancer (``C18.9``) with an ICD-O-3 morphology, a
clinical TNM classification and stage group (LOINC ``21908-9``), the ECOG performance status
(``89247-1``), ER / PR / HER2 status for breast cancer, and anticancer drugs with ATC codes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat import Column
from d4h_sdk.health.readers import ATC, ICD10, LOINC
from d4h_sdk.sandbox.synthetic._model import (
    Coding,
    Component,
    ConditionRecord,
    MedicationRecord,
    ObservationRecord,
    PatientRecord,
    PersonRecord,
    Value,
    add_days,
    csvw_columns,
    patient_rng,
)

__all__ = ["ICDO3", "CancerSite", "MORPHOLOGY_EXTENSION", "SITES", "OncologyCohort", "stage_group"]

ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
"""The FHIR system URI of ICD-O-3 (as the SDK's readers map it to the ``ICD-O`` coding system)."""
MORPHOLOGY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
"""The mCODE extension carrying the histology morphology on a ``Condition`` (URL to verify per release)."""

_FIRST_DAY = date(2018, 1, 1)


@dataclass(frozen=True)
class CancerSite:
    """A cancer site of the oncology cohort.

    Attributes:
        condition: The ICD-10 coding of the diagnosis.
        morphologies: The ICD-O-3 morphologies drawn from.
        drugs: The ATC-coded drugs drawn from.
        female_share: The share of women among the patients.
    """

    condition: Coding
    morphologies: tuple[Coding, ...]
    drugs: tuple[Coding, ...]
    female_share: float


def _atc(code: str, display: str) -> Coding:
    return Coding(ATC, code, display)


_DUCTAL = Coding(ICDO3, "8500/3", "Infiltrating duct carcinoma, NOS")
_ADENO = Coding(ICDO3, "8140/3", "Adenocarcinoma, NOS")

SITES: Mapping[str, CancerSite] = {
    "breast": CancerSite(
        Coding(ICD10, "C50.9", "Malignant neoplasm of breast, unspecified"),
        (_DUCTAL,),
        (_atc("L02BA01", "tamoxifen"), _atc("L02BG04", "letrozole"), _atc("L01BC06", "capecitabine")),
        0.99,
    ),
    "lung": CancerSite(
        Coding(ICD10, "C34.9", "Malignant neoplasm of bronchus or lung, unspecified"),
        (_ADENO,),
        (_atc("L01XA02", "carboplatin"), _atc("L01BA04", "pemetrexed")),
        0.45,
    ),
    "colon": CancerSite(
        Coding(ICD10, "C18.9", "Malignant neoplasm of colon, unspecified"),
        (_ADENO,),
        (_atc("L01XA03", "oxaliplatin"), _atc("L01BC06", "capecitabine"), _atc("L01BC02", "fluorouracil")),
        0.45,
    ),
}
"""Cancer site -> ICD-10 condition, ICD-O-3 morphologies, typical ATC drugs, share of women."""

STAGE_GROUP = Coding(LOINC, "21908-9", "Stage group.clinical Cancer")
T_CLINICAL = Coding(LOINC, "21905-5", "Primary tumor.clinical [Class] Cancer")
N_CLINICAL = Coding(LOINC, "21906-3", "Regional lymph nodes.clinical [Class] Cancer")
M_CLINICAL = Coding(LOINC, "21907-1", "Distant metastases.clinical [Class] Cancer")
ECOG = Coding(LOINC, "89247-1", "ECOG Performance Status score")
ER = Coding(LOINC, "85337-4", "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain")
PR = Coding(LOINC, "85339-0", "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain")
HER2 = Coding(LOINC, "85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain")


def stage_group(t: int, n: int, m: int) -> str:
    """A simplified clinical stage group (I-IV) from T (1-4), N (0-3) and M (0-1); not the full AJCC table."""
    if m:
        return "IV"
    if n >= 2 or t == 4:
        return "III"
    if n == 1 or t >= 3:
        return "II"
    return "I"


_COLUMNS: tuple[tuple[str, str, str, str | None], ...] = (
    ("patient_id", "string", "Pseudonymous patient identifier (synthetic)", None),
    ("sex", "string", "Administrative sex: female or male", None),
    ("birth_date", "date", "Date of birth (synthetic)", None),
    ("diagnosis_date", "date", "Date of diagnosis", None),
    ("age_at_diagnosis", "integer", "Age in whole years at diagnosis", None),
    ("site", "string", "Cancer site: breast, lung or colon", None),
    ("icd10_code", "string", "ICD-10 code of the cancer (C50.9, C34.9, C18.9)", None),
    ("morphology_icdo3", "string", "ICD-O-3 morphology code (8500/3, 8140/3)", None),
    ("t_category", "string", "Clinical T category (T1-T4)", "21905-5"),
    ("n_category", "string", "Clinical N category (N0-N3)", "21906-3"),
    ("m_category", "string", "Clinical M category (M0, M1)", "21907-1"),
    ("stage_group", "string", "Clinical stage group (I-IV, simplified)", "21908-9"),
    ("ecog", "integer", "ECOG performance status (0-4)", "89247-1"),
    ("er_status", "string", "Estrogen receptor status (breast only): positive or negative", "85337-4"),
    ("pr_status", "string", "Progesterone receptor status (breast only): positive or negative", "85339-0"),
    ("her2_status", "string", "HER2 status (breast only): positive or negative", "85319-2"),
    ("treatment_atc", "string", "ATC codes of the anticancer drugs, ';'-separated", None),
)


@dataclass(frozen=True)
class OncologyCohort:
    """A deterministic synthetic oncology cohort (one CSV row and one diagnosis per patient).

    About 40 % breast, 30 % lung and 30 % colon cancer; ages 40-80 at diagnosis (2018-2024).

    Args:
        seed: The random seed.
        patients: The number of patients.

    Raises:
        ConfigurationError: A negative size.
    """

    seed: int = 0
    patients: int = 200
    name: str = "oncology"

    def __post_init__(self) -> None:
        if self.patients < 0:
            raise ConfigurationError(f"patients must be >= 0, not {self.patients}")

    def columns(self) -> tuple[Column, ...]:
        """The CSVW columns of the CSV form (one row per patient)."""
        return csvw_columns(_COLUMNS)

    def records(self) -> Iterator[PatientRecord]:
        """Generate the patients one at a time."""
        for index in range(1, self.patients + 1):
            yield self._patient(patient_rng(self.seed, self.name, index), f"onco-{self.seed}-{index:06d}")

    @staticmethod
    def _patient(rng: random.Random, pid: str) -> PatientRecord:
        draw = rng.random()
        site_name = "breast" if draw < 0.4 else "lung" if draw < 0.7 else "colon"
        site = SITES[site_name]
        female = rng.random() < site.female_share
        diagnosis = add_days(_FIRST_DAY, rng.uniform(0, 365 * 7 - 1))
        age = rng.randint(40, 80)
        birth = add_days(diagnosis, -(age * 365.25 + rng.uniform(0, 364)))
        age = diagnosis.year - birth.year - ((diagnosis.month, diagnosis.day) < (birth.month, birth.day))
        person = PersonRecord(pid, "female" if female else "male", birth)
        morphology = rng.choice(site.morphologies)
        condition = ConditionRecord(f"{pid}-dx", pid, (site.condition,), diagnosis, morphology)
        t, n = rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0], rng.choices((0, 1, 2, 3), (50, 30, 15, 5))[0]
        m = 1 if rng.random() < (0.25 if site_name == "lung" else 0.12) else 0
        group = stage_group(t, n, m)
        ecog = rng.choices((0, 1, 2, 3, 4), (40, 35, 15, 7, 3))[0]
        when = datetime(diagnosis.year, diagnosis.month, diagnosis.day, 10, 0, tzinfo=timezone.utc)
        observations = [
            ObservationRecord(
                f"{pid}-stage",
                pid,
                STAGE_GROUP,
                when,
                group,
                category="exam",
                components=(
                    Component(T_CLINICAL, f"T{t}"),
                    Component(N_CLINICAL, f"N{n}"),
                    Component(M_CLINICAL, f"M{m}"),
                ),
            ),
            ObservationRecord(f"{pid}-ecog", pid, ECOG, when, ecog, category="survey"),
        ]
        receptors: dict[str, Value] = {"er_status": None, "pr_status": None, "her2_status": None}
        if site_name == "breast":
            er = rng.random() < 0.75
            pr = er and rng.random() < 0.8
            her2 = rng.random() < 0.18
            for coding, key, positive in (
                (ER, "er_status", er),
                (PR, "pr_status", pr),
                (HER2, "her2_status", her2),
            ):
                receptors[key] = "positive" if positive else "negative"
                observations.append(
                    ObservationRecord(f"{pid}-{key.split('_')[0]}", pid, coding, when, receptors[key])
                )
        count = 1 if rng.random() < 0.6 else 2
        drugs = tuple(
            MedicationRecord(
                f"{pid}-rx{k}",
                pid,
                coding,
                add_days(diagnosis, rng.uniform(14, 60)),
                add_days(diagnosis, rng.uniform(120, 360)),
            )
            for k, coding in enumerate(rng.sample(site.drugs, count), start=1)
        )
        row: dict[str, Value] = {
            "patient_id": pid,
            "sex": person.gender,
            "birth_date": birth.isoformat(),
            "diagnosis_date": diagnosis.isoformat(),
            "age_at_diagnosis": age,
            "site": site_name,
            "icd10_code": site.condition.code,
            "morphology_icdo3": morphology.code,
            "t_category": f"T{t}",
            "n_category": f"N{n}",
            "m_category": f"M{m}",
            "stage_group": group,
            "ecog": ecog,
            **receptors,
            "treatment_atc": ";".join(d.code.code for d in drugs),
        }
        return PatientRecord(person, (condition,), tuple(observations), drugs, (row,))
