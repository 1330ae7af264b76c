"""HealthDCAT-AP Release 8 namespaces and controlled-vocabulary constants.

Every constant is a full IRI. The enumerations are ``str`` enums, so a member can be used wherever an IRI
string is expected (``HealthCategory.EHRS == "https://hdeu-dcat.data.health.europa.eu/.../EHRS"``).
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "ACCESS_RIGHT_BASE",
    "DATA_THEME_BASE",
    "DATASET_TYPE_BASE",
    "DGA_ELI",
    "EHDS_ELI",
    "NAL_BASE",
    "NS",
    "AccessRights",
    "CodingSystem",
    "DataTheme",
    "DatasetType",
    "HealthActivity",
    "HealthCategory",
    "HealthTheme",
    "PersonalData",
    "PublisherType",
    "Standard",
]

NS: dict[str, str] = {
    "healthdcatap": "http://healthdataportal.eu/ns/health#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "dpv": "https://w3id.org/dpv#",
    "dpvpd": "https://w3id.org/dpv/dpv-pd#",
    "csvw": "http://www.w3.org/ns/csvw#",
    "cv": "http://data.europa.eu/m8g/",
    "geodcatap": "http://data.europa.eu/930/",
    "adms": "http://www.w3.org/ns/adms#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
"""The prefixes the SDK writes (HealthDCAT-AP R8 spelling; ``healthdcatap`` is still provisional in R8)."""

NAL_BASE = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
"""Base of the HealthDCAT-AP R8 controlled vocabularies."""

ACCESS_RIGHT_BASE = "http://publications.europa.eu/resource/authority/access-right/"
DATA_THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
DATASET_TYPE_BASE = "http://publications.europa.eu/resource/authority/dataset-type/"

EHDS_ELI = "http://data.europa.eu/eli/reg/2025/327/oj"
"""ELI of Regulation (EU) 2025/327 (European Health Data Space): the applicable legislation R8 recommends."""

DGA_ELI = "http://data.europa.eu/eli/reg/2022/868/oj"
"""ELI of the Data Governance Act, still cited by the official R8 example."""


class AccessRights(str, Enum):
    """``dct:accessRights`` values (EU access-right vocabulary); also the access levels of the checker."""

    PUBLIC = ACCESS_RIGHT_BASE + "PUBLIC"
    RESTRICTED = ACCESS_RIGHT_BASE + "RESTRICTED"
    NON_PUBLIC = ACCESS_RIGHT_BASE + "NON_PUBLIC"


class DataTheme(str, Enum):
    """``dcat:theme`` values (EU data-theme vocabulary); health datasets use ``HEAL``."""

    AGRI = DATA_THEME_BASE + "AGRI"
    ECON = DATA_THEME_BASE + "ECON"
    EDUC = DATA_THEME_BASE + "EDUC"
    ENER = DATA_THEME_BASE + "ENER"
    ENVI = DATA_THEME_BASE + "ENVI"
    GOVE = DATA_THEME_BASE + "GOVE"
    HEAL = DATA_THEME_BASE + "HEAL"
    INTR = DATA_THEME_BASE + "INTR"
    JUST = DATA_THEME_BASE + "JUST"
    OP_DATPRO = DATA_THEME_BASE + "OP_DATPRO"
    REGI = DATA_THEME_BASE + "REGI"
    SOCI = DATA_THEME_BASE + "SOCI"
    TECH = DATA_THEME_BASE + "TECH"
    TRAN = DATA_THEME_BASE + "TRAN"


class DatasetType(str, Enum):
    """``dct:type`` values (EU dataset-type vocabulary, the ones health datasets use)."""

    STATISTICAL = DATASET_TYPE_BASE + "STATISTICAL"
    SYNTHETIC_DATA = DATASET_TYPE_BASE + "SYNTHETIC_DATA"
    TEST_DATA = DATASET_TYPE_BASE + "TEST_DATA"
    PERSONAL_DATA = DATASET_TYPE_BASE + "PERSONAL_DATA"


_HC = NAL_BASE + "healthcategories/"


class HealthCategory(str, Enum):
    """``healthdcatap:healthCategory``: the 17 categories of EHDS Art 51(1)(a)-(q) (R8 NAL)."""

    EHRS = _HC + "EHRS"
    """Electronic health data from EHRs (Art 51(1)(a)) — the usual hospital category."""
    DIOH = _HC + "DIOH"
    NRPE = _HC + "NRPE"
    PGEH = _HC + "PGEH"
    IDHP = _HC + "IDHP"
    PHDR = _HC + "PHDR"
    MRMR = _HC + "MRMR"
    EHCT = _HC + "EHCT"
    EMRD = _HC + "EMRD"
    RMMD = _HC + "RMMD"
    RQSH = _HC + "RQSH"
    EINS = _HC + "EINS"
    HRAD = _HC + "HRAD"
    HGPD = _HC + "HGPD"
    HPML = _HC + "HPML"
    RPDG = _HC + "RPDG"
    WELA = _HC + "WELA"


_HT = NAL_BASE + "health-theme/"


class HealthTheme(str, Enum):
    """``healthdcatap:healthTheme`` (R8 NAL); diabetes is under ``NONCOMMUNICABLE_DISEASES``."""

    CANCER_DISEASE = _HT + "CANCER_DISEASE"
    NONCOMMUNICABLE_DISEASES = _HT + "NONCOMMUNICABLE_DISEASES"
    HEALTH_SYSTEMS = _HT + "HEALTH_SYSTEMS"
    LIFECOURSE_HEALTH = _HT + "LIFECOURSE_HEALTH"
    MENTAL_HEALTH = _HT + "MENTAL_HEALTH"
    RESPIRATORY_DISEASES = _HT + "RESPIRATORY_DISEASES"
    IMMUNIZATION_DISEASES = _HT + "IMMUNIZATION_DISEASES"
    ANTIMICROBIAL_CONTROL = _HT + "ANTIMICROBIAL_CONTROL"
    HEALTH_PRODUCTS = _HT + "HEALTH_PRODUCTS"
    NUTRITION_SECURITY = _HT + "NUTRITION_SECURITY"
    ENVIRONMENTAL_HEALTH = _HT + "ENVIRONMENTAL_HEALTH"
    CLIMATE_HEALTH = _HT + "CLIMATE_HEALTH"
    EMERGENCY_SETTINGS = _HT + "EMERGENCY_SETTINGS"
    INJURY_PREVENTION = _HT + "INJURY_PREVENTION"
    SENSORY_HEALTH = _HT + "SENSORY_HEALTH"
    REPRODUCTIVE_HEALTH = _HT + "REPRODUCTIVE_HEALTH"
    BLOOD_INFECTIONS = _HT + "BLOOD_INFECTIONS"
    ENTERIC_INFECTIONS = _HT + "ENTERIC_INFECTIONS"
    VECTOR_DISEASES = _HT + "VECTOR_DISEASES"
    TROPICAL_DISEASES = _HT + "TROPICAL_DISEASES"


_CS = NAL_BASE + "coding-system/"


class CodingSystem(str, Enum):
    """``healthdcatap:hasCodingSystem`` (R8 NAL; member names use ``_`` where the code has ``-``)."""

    ICD_10 = _CS + "ICD-10"
    ICD_10_NAT = _CS + "ICD-10-NAT"
    ICD_11 = _CS + "ICD-11"
    ICD_9_CM = _CS + "ICD-9-CM"
    ICD_O = _CS + "ICD-O"
    SNOMED_CT = _CS + "SNOMED-CT"
    LOINC = _CS + "LOINC"
    ATC = _CS + "ATC"
    RXNORM = _CS + "RXNORM"
    OHDSI_VOCAB = _CS + "OHDSI-VOCAB"
    UCUM = _CS + "UCUM"
    ORPHACODE = _CS + "ORPHACODE"
    ORDO = _CS + "ORDO"
    HPO = _CS + "HPO"
    HGNC = _CS + "HGNC"
    NCIT = _CS + "NCIT"
    MESH = _CS + "MESH"
    UMLS = _CS + "UMLS"
    MEDDRA = _CS + "MEDDRA"
    WHODRUG = _CS + "WHODRUG"
    EDQM = _CS + "EDQM"
    EMA_SPOR = _CS + "EMA-SPOR"
    EMDN = _CS + "EMDN"
    GMDN = _CS + "GMDN"
    ICF = _CS + "ICF"
    ICHI = _CS + "ICHI"
    ICPC_2 = _CS + "ICPC-2"
    ICPC_3 = _CS + "ICPC-3"
    NPU = _CS + "NPU"
    OPS = _CS + "OPS"
    PROC_CODES_NAT = _CS + "PROC-CODES-NAT"
    DICOM_CT = _CS + "DICOM-CT"


_ST = NAL_BASE + "standard/"


class Standard(str, Enum):
    """``dct:conformsTo`` values from the R8 standard NAL (those seen in R8 material)."""

    FHIR = _ST + "FHIR"
    DICOM = _ST + "DICOM"
    OMOP_CDM = _ST + "OMOP-CDM"
    OPENEHR = _ST + "OPENEHR"
    ISO_13606_1 = _ST + "ISO-13606-1"
    ISO_13940 = _ST + "ISO-13940"
    CDA = _ST + "CDA"
    CDISC_SDTM = _ST + "CDISC-SDTM"
    MIABIS = _ST + "MIABIS"


_HA = NAL_BASE + "health-activity/"


class HealthActivity(str, Enum):
    """``dct:type`` of a ``prov:wasGeneratedBy`` activity (R8 health-activity NAL, common entries)."""

    HOSPITAL_RECORDS = _HA + "HOSPITAL_RECORDS"
    ROUTINE_RECORDS = _HA + "ROUTINE_RECORDS"
    COHORT = _HA + "COHORT"
    CLINICAL_TRIAL = _HA + "CLINICAL_TRIAL"
    LABORATORY_TESTS = _HA + "LABORATORY_TESTS"
    PRESCRIBING_DISPENSING = _HA + "PRESCRIBING_DISPENSING"
    MEDICAL_REGISTRY = _HA + "MEDICAL_REGISTRY"
    QUALITY_REGISTRY = _HA + "QUALITY_REGISTRY"
    ADMISSION_DISCHARGE = _HA + "ADMISSION_DISCHARGE"
    PATIENT_OUTCOMES = _HA + "PATIENT_OUTCOMES"
    BIOBANK_COLLECTION = _HA + "BIOBANK_COLLECTION"
    RESEARCH_PROJECT = _HA + "RESEARCH_PROJECT"


_PT = NAL_BASE + "publisher-type/"


class PublisherType(str, Enum):
    """``dct:type`` of a publisher / HDAB agent (R8 publisher-type NAL, entries seen in R8 material)."""

    NON_GOV_ORG = _PT + "non-gov-org"
    PUBLIC_HEALTH_REGISTRY = _PT + "public-health-registry"
    PRIVATE_HEALTH_INSURANCE = _PT + "private-health-insurance"


_PD = NS["dpvpd"]


class PersonalData(str, Enum):
    """``dpv:hasPersonalData`` values (DPV-PD 1.x IRIs, as the R8 files write them)."""

    AGE = _PD + "Age"
    GENDER = _PD + "Gender"
    HEALTH_RECORD = _PD + "HealthRecord"
