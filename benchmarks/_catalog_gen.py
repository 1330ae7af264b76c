"""Deterministic generator of large catalogs for the benchmarks.

One seeded list of dataset records is rendered twice: as a DSP 2025-1 catalog (the official context, arrays,
terms) and as the same catalog the way an EDC v3 connector compacts it (its own prefixes and ``@vocab``,
single objects instead of one-element arrays, ``{"@id": ...}`` for IRIs).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

DSP_2025_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
EDC_CONTEXT: dict[str, str] = {
    "@vocab": "https://w3id.org/edc/v0.0.1/ns/",
    "edc": "https://w3id.org/edc/v0.0.1/ns/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/2025/1/",
}
PARTICIPANT_ID = "did:web:provider.ds4h.example"
ENDPOINT_URL = "https://provider.ds4h.example/api/dsp"
PURPOSES = (
    "https://w3id.org/dpv/legal/eu/ehds#ScientificResearch",
    "https://w3id.org/dpv/legal/eu/ehds#PublicHealthMonitoring",
    "https://w3id.org/dpv/legal/eu/ehds#PolicyMaking",
    "https://w3id.org/dpv/legal/eu/ehds#Education",
)
TOPICS = (
    ("Type 2 diabetes", "diabetes", "E11"),
    ("Hypertension", "hypertension", "I10"),
    ("Chronic kidney disease", "kidney", "N18"),
    ("Asthma", "asthma", "J45"),
    ("Heart failure", "cardiology", "I50"),
    ("Breast cancer", "oncology", "C50"),
    ("Colorectal cancer", "oncology", "C18"),
    ("COVID-19", "infectious-disease", "U07.1"),
)
HOSPITALS = (
    "Centre Hospitalier de Luxembourg",
    "Hôpitaux Robert Schuman",
    "Centre Hospitalier Emile Mayrisch",
    "Centre Hospitalier du Nord",
)


@dataclass(frozen=True)
class DatasetRecord:
    """The dialect-neutral content of one generated dataset."""

    id: str
    title: str
    description: str
    keywords: tuple[str, str, str]
    offer_id: str
    purpose: str
    until: str
    formats: tuple[str, str]


def _urn(rng: random.Random) -> str:
    return f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def records(count: int, *, seed: int = 2025) -> tuple[str, str, list[DatasetRecord]]:
    """Return (catalog id, data service id, dataset records), the same for the same seed."""
    rng = random.Random(seed)
    catalog_id = _urn(rng)
    service_id = _urn(rng)
    result = []
    for index in range(count):
        label, keyword, code = TOPICS[rng.randrange(len(TOPICS))]
        hospital = HOSPITALS[rng.randrange(len(HOSPITALS))]
        year = 2015 + rng.randrange(10)
        patients = rng.randrange(200, 40_000)
        result.append(
            DatasetRecord(
                id=_urn(rng),
                title=f"{label} cohort {index:05d} ({year})",
                description=(
                    f"Pseudonymised records of {patients} patients with {label.lower()} (ICD-10 {code}) "
                    f"treated at {hospital} since {year}, as FHIR R4."
                ),
                keywords=(keyword, code, "cohort"),
                offer_id=_urn(rng),
                purpose=PURPOSES[rng.randrange(len(PURPOSES))],
                until=f"{2026 + rng.randrange(4)}-12-31T23:59:59Z",
                formats=("HttpData-PULL", "AmazonS3-PUSH" if rng.random() < 0.5 else "HttpData-PUSH"),
            )
        )
    return catalog_id, service_id, result


def dsp_2025_catalog(count: int, *, seed: int = 2025) -> dict[str, Any]:
    """A DSP 2025-1 catalog of ``count`` datasets, compacted with the official 2025-1 context."""
    catalog_id, service_id, items = records(count, seed=seed)
    datasets = [
        {
            "@id": item.id,
            "@type": "Dataset",
            "dct:title": item.title,
            "dct:description": [{"@value": item.description, "@language": "en"}],
            "dcat:keyword": list(item.keywords),
            "hasPolicy": [
                {
                    "@id": item.offer_id,
                    "@type": "Offer",
                    "permission": [
                        {
                            "action": "use",
                            "constraint": [
                                {
                                    "leftOperand": "odrl:purpose",
                                    "operator": "eq",
                                    "rightOperand": item.purpose,
                                },
                                {
                                    "leftOperand": "odrl:dateTime",
                                    "operator": "lteq",
                                    "rightOperand": item.until,
                                },
                            ],
                        }
                    ],
                }
            ],
            "distribution": [
                {"@type": "Distribution", "format": fmt, "accessService": service_id} for fmt in item.formats
            ],
        }
        for item in items
    ]
    return {
        "@context": [DSP_2025_CONTEXT],
        "@id": catalog_id,
        "@type": "Catalog",
        "participantId": PARTICIPANT_ID,
        "service": [{"@id": service_id, "@type": "DataService", "endpointURL": ENDPOINT_URL}],
        "dataset": datasets,
    }


def edc_catalog(count: int, *, seed: int = 2025) -> dict[str, Any]:
    """The same catalog as :func:`dsp_2025_catalog`, compacted the way an EDC v3 connector answers."""
    catalog_id, service_id, items = records(count, seed=seed)
    datasets = [
        {
            "@id": item.id,
            "@type": "dcat:Dataset",
            "dct:title": item.title,
            "dct:description": {"@value": item.description, "@language": "en"},
            "dcat:keyword": list(item.keywords),
            "odrl:hasPolicy": {
                "@id": item.offer_id,
                "@type": "odrl:Offer",
                "odrl:permission": {
                    "odrl:action": {"@id": "odrl:use"},
                    "odrl:constraint": [
                        {
                            "odrl:leftOperand": {"@id": "odrl:purpose"},
                            "odrl:operator": {"@id": "odrl:eq"},
                            "odrl:rightOperand": item.purpose,
                        },
                        {
                            "odrl:leftOperand": {"@id": "odrl:dateTime"},
                            "odrl:operator": {"@id": "odrl:lteq"},
                            "odrl:rightOperand": item.until,
                        },
                    ],
                },
                "odrl:prohibition": [],
                "odrl:obligation": [],
            },
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dct:format": {"@id": fmt},
                    "dcat:accessService": {"@id": service_id},
                }
                for fmt in item.formats
            ],
        }
        for item in items
    ]
    return {
        "@id": catalog_id,
        "@type": "dcat:Catalog",
        "dspace:participantId": PARTICIPANT_ID,
        "dcat:service": {"@id": service_id, "@type": "dcat:DataService", "dcat:endpointURL": ENDPOINT_URL},
        "dcat:dataset": datasets,
        "@context": EDC_CONTEXT,
    }
