"""A synthetic diabetes cohort mirroring the DS4H / HRS diabetes-clinic variables (notes/health.md §7).

Type 1 (ICD-10 ``E10.9``), type 2 (``E11.9``) and gestational diabetes (``O24.4``); follow-up visits every 3
to 6 months between 2018 and 2024 with HbA1c in % (NGSP) and mmol/mol (IFCC), fasting glucose, weight,
height, BMI, blood pressure, lipids, creatinine and eGFR (CKD-EPI 2021); antidiabetic drugs with ATC codes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat import Column
from d4h_sdk.health.readers import ATC, ICD10, LOINC, SNOMED
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
    clamp,
    csvw_columns,
    patient_rng,
)

__all__ = ["DIABETES_TYPES", "DiabetesCohort", "ifcc_from_ngsp"]

FIRST_DAY = date(2018, 1, 1)
"""The first possible visit."""
LAST_DAY = date(2024, 12, 31)
"""The last possible visit."""


def _loinc(code: str, display: str) -> Coding:
    return Coding(LOINC, code, display)


def _atc(code: str, display: str) -> Coding:
    return Coding(ATC, code, display)


DIABETES_TYPES: Mapping[str, tuple[Coding, Coding]] = {
    "type1": (
        Coding(ICD10, "E10.9", "Type 1 diabetes mellitus without complications"),
        Coding(SNOMED, "46635009", "Diabetes mellitus type 1"),
    ),
    "type2": (
        Coding(ICD10, "E11.9", "Type 2 diabetes mellitus without complications"),
        Coding(SNOMED, "44054006", "Diabetes mellitus type 2"),
    ),
    "gestational": (
        Coding(ICD10, "O24.4", "Diabetes mellitus arising in pregnancy"),
        Coding(SNOMED, "11687002", "Gestational diabetes mellitus"),
    ),
}
"""Diabetes type -> (ICD-10, SNOMED CT) codings."""

HBA1C = _loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")
HBA1C_IFCC = _loinc("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol")
GLUCOSE = _loinc("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma")
WEIGHT = _loinc("29463-7", "Body weight")
HEIGHT = _loinc("8302-2", "Body height")
BMI = _loinc("39156-5", "Body mass index (BMI) [Ratio]")
BP_PANEL = _loinc("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = _loinc("8480-6", "Systolic blood pressure")
DIASTOLIC = _loinc("8462-4", "Diastolic blood pressure")
CHOLESTEROL = _loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma")
HDL = _loinc("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma")
LDL = _loinc("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation")
TRIGLYCERIDES = _loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma")
CREATININE = _loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma")
EGFR = _loinc(
    "98979-8", "Glomerular filtration rate/1.73 sq M.predicted by Creatinine-based formula (CKD-EPI 2021)"
)

METFORMIN = _atc("A10BA02", "metformin")
SEMAGLUTIDE = _atc("A10BJ06", "semaglutide")
LIRAGLUTIDE = _atc("A10BJ02", "liraglutide")
DAPAGLIFLOZIN = _atc("A10BK01", "dapagliflozin")
EMPAGLIFLOZIN = _atc("A10BK03", "empagliflozin")
INSULIN_GLARGINE = _atc("A10AE04", "insulin glargine")


def ifcc_from_ngsp(percent: float) -> float:
    """HbA1c in mmol/mol (IFCC) from HbA1c in % (NGSP/DCCT): ``10.929 * (percent - 2.15)``."""
    return 10.929 * (percent - 2.15)


def _egfr(creatinine: float, age: int, female: bool) -> float:
    """CKD-EPI 2021 (race-free) eGFR in mL/min/1.73m² from serum creatinine in mg/dL."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine / kappa
    value = float(142 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age)
    return value * 1.012 if female else value


def _creatinine_for(egfr: float, age: int, female: bool) -> float:
    """Invert :func:`_egfr`: the creatinine (mg/dL) giving ``egfr`` at this age and sex."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    base = 142 * 0.9938**age * (1.012 if female else 1.0)
    ratio = float((egfr / base) ** (1 / alpha))
    if ratio > 1.0:
        ratio = float((egfr / base) ** (1 / -1.200))
    return kappa * ratio


_COLUMNS: tuple[tuple[str, str, str, str | None], ...] = (
    ("patient_id", "string", "Pseudonymous patient identifier (synthetic)", None),
    ("sex", "string", "Administrative sex: female or male", None),
    ("birth_date", "date", "Date of birth (synthetic)", None),
    ("diabetes_type", "string", "Diabetes type: type1, type2 or gestational", None),
    ("icd10_code", "string", "ICD-10 code of the diabetes diagnosis (E10.9, E11.9, O24.4)", None),
    ("diagnosis_date", "date", "Date of diagnosis", None),
    ("visit_number", "integer", "Follow-up visit number (1 = first visit in the period)", None),
    ("visit_date", "date", "Date of the visit", None),
    ("age_at_visit", "integer", "Age in whole years at the visit", None),
    ("hba1c_percent", "decimal", "HbA1c in % (NGSP/DCCT)", "4548-4"),
    ("hba1c_mmol_mol", "integer", "HbA1c in mmol/mol (IFCC)", "59261-8"),
    ("glucose_mg_dl", "integer", "Fasting plasma glucose in mg/dL", "1558-6"),
    ("weight_kg", "decimal", "Body weight in kg", "29463-7"),
    ("height_cm", "integer", "Body height in cm", "8302-2"),
    ("bmi", "decimal", "Body mass index in kg/m2", "39156-5"),
    ("systolic_mmhg", "integer", "Systolic blood pressure in mm[Hg]", "8480-6"),
    ("diastolic_mmhg", "integer", "Diastolic blood pressure in mm[Hg]", "8462-4"),
    ("total_cholesterol_mg_dl", "integer", "Total cholesterol in mg/dL", "2093-3"),
    ("hdl_mg_dl", "integer", "HDL cholesterol in mg/dL", "2085-9"),
    ("ldl_mg_dl", "integer", "LDL cholesterol (Friedewald) in mg/dL", "13457-7"),
    ("triglycerides_mg_dl", "integer", "Triglycerides in mg/dL", "2571-8"),
    ("creatinine_mg_dl", "decimal", "Serum creatinine in mg/dL", "2160-0"),
    ("egfr", "integer", "eGFR (CKD-EPI 2021) in mL/min/1.73m2", "98979-8"),
    (
        "treatment_atc",
        "string",
        "ATC codes of the antidiabetic drugs taken at the visit, ';'-separated",
        None,
    ),
)


@dataclass(frozen=True)
class _Plan:
    kind: str
    female: bool
    birth: date
    diagnosis: date
    visits: tuple[date, ...]


@dataclass(frozen=True)
class DiabetesCohort:
    """A deterministic synthetic diabetes cohort.

    About 75 % type 2, 15 % type 1 and 10 % gestational diabetes; HbA1c 6-11 %, eGFR 30-110, BMI 22-40 and
    ages 20-85 (gestational 22-44). The same ``seed`` and ``patients`` always give the same data, and each
    patient is generated on its own, so the cohort streams in constant memory.

    Args:
        seed: The random seed.
        patients: The number of patients.
        visits: The (minimum, maximum) number of follow-up visits per type 1 / type 2 patient.

    Raises:
        ConfigurationError: A negative size or an empty visit range.
    """

    seed: int = 0
    patients: int = 200
    visits: tuple[int, int] = (6, 10)
    name: str = "diabetes"

    def __post_init__(self) -> None:
        if self.patients < 0:
            raise ConfigurationError(f"patients must be >= 0, not {self.patients}")
        if not 1 <= self.visits[0] <= self.visits[1]:
            raise ConfigurationError(f"visits must be (min, max) with 1 <= min <= max, not {self.visits}")

    def columns(self) -> tuple[Column, ...]:
        """The CSVW columns of the CSV form (one row per visit)."""
        return csvw_columns(_COLUMNS)

    def records(self) -> Iterator[PatientRecord]:
        """Generate the patients one at a time."""
        for index in range(1, self.patients + 1):
            yield self._patient(index)

    def _plan(self, rng: random.Random) -> _Plan:
        draw = rng.random()
        kind = "type2" if draw < 0.75 else "type1" if draw < 0.90 else "gestational"
        female = True if kind == "gestational" else rng.random() < 0.48
        first = add_days(FIRST_DAY, rng.uniform(0, 365 * 4.5))
        if kind == "gestational":
            age = rng.randint(22, 43)
            diagnosis = add_days(first, -rng.uniform(3, 20))
            count = rng.randint(3, 5)
            gaps = [rng.uniform(21, 35) for _ in range(count - 1)]
        else:
            age = rng.randint(40, 78) if kind == "type2" else rng.randint(20, 60)
            diagnosis = add_days(first, -rng.uniform(30, 365 * (12 if kind == "type1" else 8)))
            count = rng.randint(*self.visits)
            gaps = [rng.uniform(90, 180) for _ in range(count - 1)]
        days = [first]
        for gap in gaps:
            nxt = add_days(days[-1], gap)
            if nxt > LAST_DAY:
                break
            days.append(nxt)
        birth = add_days(first, -(age * 365.25 + rng.uniform(0, 364)))
        return _Plan(kind, female, birth, diagnosis, tuple(days))

    def _patient(self, index: int) -> PatientRecord:
        rng = patient_rng(self.seed, self.name, index)
        plan = self._plan(rng)
        pid = f"diab-{self.seed}-{index:06d}"
        person = PersonRecord(pid, "female" if plan.female else "male", plan.birth)
        icd, snomed = DIABETES_TYPES[plan.kind]
        condition = ConditionRecord(f"{pid}-dx", pid, (icd, snomed), plan.diagnosis)
        drugs = self._drugs(rng, plan, pid)
        height = round(rng.gauss(164 if plan.female else 177, 7))
        bmi0 = rng.uniform(22, 30) if plan.kind == "type1" else rng.uniform(24, 40)
        hba1c0 = rng.uniform(6.5, 10.5)
        egfr0 = rng.uniform(55, 110) if plan.kind != "type2" else rng.uniform(35, 105)
        tc0, hdl0, tg0 = rng.uniform(150, 260), rng.uniform(35, 70), rng.uniform(80, 260)
        sys0 = rng.uniform(115, 150)
        observations: list[ObservationRecord] = []
        rows: list[dict[str, Value]] = []
        for number, day in enumerate(plan.visits, start=1):
            when = datetime(
                day.year,
                day.month,
                day.day,
                rng.randint(8, 16),
                rng.choice((0, 15, 30, 45)),
                tzinfo=timezone.utc,
            )
            age = day.year - plan.birth.year - ((day.month, day.day) < (plan.birth.month, plan.birth.day))
            hba1c = round(clamp(hba1c0 - 0.15 * (number - 1) + rng.gauss(0, 0.4), 6.0, 11.0), 1)
            glucose = round(clamp(28.7 * hba1c - 46.7 + rng.gauss(0, 12), 70, 350))
            bmi = round(clamp(bmi0 + rng.gauss(0, 0.6), 22.0, 40.0), 1)
            weight = round(bmi * (height / 100) ** 2, 1)
            bmi = round(weight / (height / 100) ** 2, 1)
            systolic = round(clamp(sys0 + rng.gauss(0, 8), 95, 190))
            diastolic = round(clamp(systolic * 0.6 + rng.gauss(0, 5), 55, 110))
            hdl = round(clamp(hdl0 + rng.gauss(0, 3), 25, 95))
            tg = round(clamp(tg0 + rng.gauss(0, 20), 50, 450))
            tc = round(clamp(tc0 + rng.gauss(0, 12), hdl + tg / 5 + 40, 320))
            ldl = round(tc - hdl - tg / 5)
            egfr_target = clamp(egfr0 - 0.8 * (number - 1) + rng.gauss(0, 3), 30, 110)
            creatinine = round(_creatinine_for(egfr_target, age, plan.female), 2)
            egfr = round(clamp(_egfr(creatinine, age, plan.female), 30, 110))
            ifcc = round(ifcc_from_ngsp(hba1c))
            vid = f"{pid}-v{number:02d}"
            labs: tuple[tuple[Coding, Value, str, str], ...] = (
                (HBA1C, hba1c, "%", "laboratory"),
                (HBA1C_IFCC, ifcc, "mmol/mol", "laboratory"),
                (GLUCOSE, glucose, "mg/dL", "laboratory"),
                (WEIGHT, weight, "kg", "vital-signs"),
                (HEIGHT, height, "cm", "vital-signs"),
                (BMI, bmi, "kg/m2", "vital-signs"),
                (CHOLESTEROL, tc, "mg/dL", "laboratory"),
                (HDL, hdl, "mg/dL", "laboratory"),
                (LDL, ldl, "mg/dL", "laboratory"),
                (TRIGLYCERIDES, tg, "mg/dL", "laboratory"),
                (CREATININE, creatinine, "mg/dL", "laboratory"),
                (EGFR, egfr, "mL/min/{1.73_m2}", "laboratory"),
            )
            for coding, value, unit, category in labs:
                observations.append(
                    ObservationRecord(f"{vid}-{coding.code}", pid, coding, when, value, unit, category)
                )
            observations.append(
                ObservationRecord(
                    f"{vid}-{BP_PANEL.code}",
                    pid,
                    BP_PANEL,
                    when,
                    None,
                    category="vital-signs",
                    components=(
                        Component(SYSTOLIC, systolic, "mm[Hg]"),
                        Component(DIASTOLIC, diastolic, "mm[Hg]"),
                    ),
                )
            )
            taking = [d.code.code for d in drugs if d.start <= day and (d.end is None or day <= d.end)]
            rows.append(
                {
                    "patient_id": pid,
                    "sex": person.gender,
                    "birth_date": plan.birth.isoformat(),
                    "diabetes_type": plan.kind,
                    "icd10_code": icd.code,
                    "diagnosis_date": plan.diagnosis.isoformat(),
                    "visit_number": number,
                    "visit_date": day.isoformat(),
                    "age_at_visit": age,
                    "hba1c_percent": hba1c,
                    "hba1c_mmol_mol": ifcc,
                    "glucose_mg_dl": glucose,
                    "weight_kg": weight,
                    "height_cm": height,
                    "bmi": bmi,
                    "systolic_mmhg": systolic,
                    "diastolic_mmhg": diastolic,
                    "total_cholesterol_mg_dl": tc,
                    "hdl_mg_dl": hdl,
                    "ldl_mg_dl": ldl,
                    "triglycerides_mg_dl": tg,
                    "creatinine_mg_dl": creatinine,
                    "egfr": egfr,
                    "treatment_atc": ";".join(taking),
                }
            )
        return PatientRecord(person, (condition,), tuple(observations), drugs, tuple(rows))

    @staticmethod
    def _drugs(rng: random.Random, plan: _Plan, pid: str) -> tuple[MedicationRecord, ...]:
        first = plan.visits[0]
        chosen: list[tuple[Coding, date]] = []
        if plan.kind == "type1":
            chosen.append((INSULIN_GLARGINE, plan.diagnosis))
        elif plan.kind == "gestational":
            chosen.append((INSULIN_GLARGINE if rng.random() < 0.6 else METFORMIN, first))
        else:
            chosen.append((METFORMIN, plan.diagnosis))
            if rng.random() < 0.45:
                drug = rng.choice((SEMAGLUTIDE, LIRAGLUTIDE, DAPAGLIFLOZIN, EMPAGLIFLOZIN))
                chosen.append((drug, add_days(first, rng.uniform(0, 400))))
            if rng.random() < 0.15:
                chosen.append((INSULIN_GLARGINE, add_days(first, rng.uniform(100, 700))))
        end = plan.visits[-1] if plan.kind == "gestational" else None
        return tuple(
            MedicationRecord(f"{pid}-rx{n}", pid, coding, start, end)
            for n, (coding, start) in enumerate(chosen, start=1)
        )
