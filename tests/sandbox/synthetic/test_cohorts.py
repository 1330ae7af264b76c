"""The diabetes and oncology generators: determinism, codes, value ranges."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.readers import ATC, ICD10, LOINC, SNOMED
from d4h_sdk.sandbox.synthetic import (
    DIABETES_TYPES,
    ICDO3,
    DiabetesCohort,
    OncologyCohort,
    ifcc_from_ngsp,
    iter_csv,
    iter_fhir_ndjson,
    stage_group,
)

DIABETES_ATC = {"A10BA02", "A10BJ06", "A10BJ02", "A10BK01", "A10BK03", "A10AE04"}


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    one = b"".join(iter_fhir_ndjson(DiabetesCohort(seed=7, patients=15)))
    two = b"".join(iter_fhir_ndjson(DiabetesCohort(seed=7, patients=15)))
    other = b"".join(iter_fhir_ndjson(DiabetesCohort(seed=8, patients=15)))
    assert one == two
    assert one != other
    assert b"".join(iter_csv(OncologyCohort(seed=7, patients=15))) == b"".join(
        iter_csv(OncologyCohort(seed=7, patients=15))
    )


def test_patients_are_independent_of_cohort_size() -> None:
    small = list(DiabetesCohort(seed=2, patients=5).records())
    large = list(itertools.islice(DiabetesCohort(seed=2, patients=500).records(), 5))
    assert small == large


def test_diabetes_types_codes_and_sex() -> None:
    records = list(DiabetesCohort(seed=1, patients=300).records())
    assert len(records) == 300
    seen = set()
    for record in records:
        (condition,) = record.conditions
        icd, snomed = condition.codings
        assert icd.system == ICD10 and snomed.system == SNOMED
        kind = record.rows[0]["diabetes_type"]
        assert (icd, snomed) == DIABETES_TYPES[str(kind)]
        seen.add(icd.code)
        if kind == "gestational":
            assert record.person.gender == "female"
        assert condition.onset <= min(o.effective.date() for o in record.observations)
    assert seen == {"E10.9", "E11.9", "O24.4"}


def test_diabetes_values_in_realistic_ranges_and_units_consistent() -> None:
    rows: list[Mapping[str, Any]] = [
        row for r in DiabetesCohort(seed=4, patients=120).records() for row in r.rows
    ]
    assert 120 * 3 <= len(rows) <= 120 * 10
    for row in rows:
        assert 6.0 <= row["hba1c_percent"] <= 11.0
        assert abs(row["hba1c_mmol_mol"] - 10.929 * (row["hba1c_percent"] - 2.15)) <= 0.5
        assert 30 <= row["egfr"] <= 110
        assert 21.5 <= row["bmi"] <= 40.5
        assert abs(row["bmi"] - row["weight_kg"] / (row["height_cm"] / 100) ** 2) < 0.1
        friedewald = row["total_cholesterol_mg_dl"] - row["hdl_mg_dl"] - row["triglycerides_mg_dl"] / 5
        assert row["ldl_mg_dl"] == round(friedewald) and row["ldl_mg_dl"] >= 39
        assert row["systolic_mmhg"] > row["diastolic_mmhg"]
        assert 18 <= row["age_at_visit"] <= 90
        assert "2018-01-01" <= str(row["visit_date"]) <= "2024-12-31"
        assert set(filter(None, str(row["treatment_atc"]).split(";"))) <= DIABETES_ATC
    mean = sum(float(row["hba1c_percent"]) for row in rows) / len(rows)
    assert 7.0 < mean < 9.5


def test_ifcc_conversion() -> None:
    assert ifcc_from_ngsp(7.0) == pytest.approx(53.0, abs=0.1)
    assert ifcc_from_ngsp(6.5) == pytest.approx(47.5, abs=0.1)


def test_diabetes_observation_codes_and_drugs() -> None:
    record = next(iter(DiabetesCohort(seed=0, patients=1).records()))
    codes = {o.code.code for o in record.observations}
    assert codes == {
        "4548-4", "59261-8", "1558-6", "29463-7", "8302-2", "39156-5", "85354-9",
        "2093-3", "2085-9", "13457-7", "2571-8", "2160-0", "98979-8",
    }  # fmt: skip
    assert all(o.code.system == LOINC for o in record.observations)
    panel = next(o for o in record.observations if o.code.code == "85354-9")
    assert [c.code.code for c in panel.components] == ["8480-6", "8462-4"]
    assert all(m.code.system == ATC and m.code.code in DIABETES_ATC for m in record.medications)


def test_oncology_codes_morphology_and_stage() -> None:
    records = list(OncologyCohort(seed=5, patients=200).records())
    sites = {}
    for record in records:
        (condition,) = record.conditions
        (icd,) = condition.codings
        assert condition.morphology is not None and condition.morphology.system == ICDO3
        sites[icd.code] = condition.morphology.code
        (row,) = record.rows
        t, n, m = (int(str(row[k])[1]) for k in ("t_category", "n_category", "m_category"))
        assert row["stage_group"] == stage_group(t, n, m)
        stage = next(o for o in record.observations if o.code.code == "21908-9")
        assert stage.value == row["stage_group"]
        assert [c.value for c in stage.components] == [
            row["t_category"],
            row["n_category"],
            row["m_category"],
        ]
        if icd.code == "C50.9":
            assert {o.code.code for o in record.observations} >= {"85337-4", "85339-0", "85319-2"}
        else:
            assert row["er_status"] is None
        assert 0 <= int(str(row["ecog"])) <= 4
    assert sites == {"C50.9": "8500/3", "C34.9": "8140/3", "C18.9": "8140/3"}


def test_stage_group_rules() -> None:
    assert stage_group(1, 0, 0) == "I"
    assert stage_group(3, 0, 0) == "II"
    assert stage_group(2, 2, 0) == "III"
    assert stage_group(1, 0, 1) == "IV"


@pytest.mark.parametrize(
    "make",
    [
        lambda: DiabetesCohort(patients=-1),
        lambda: DiabetesCohort(visits=(0, 3)),
        lambda: DiabetesCohort(visits=(5, 2)),
        lambda: OncologyCohort(patients=-5),
    ],
)
def test_invalid_sizes_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError):
        make()


def test_empty_cohort_writes_only_a_header() -> None:
    assert b"".join(iter_fhir_ndjson(DiabetesCohort(patients=0))) == b""
    assert b"".join(iter_csv(DiabetesCohort(patients=0))).count(b"\r\n") == 1
