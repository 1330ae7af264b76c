"""Decode a DSP catalog into typed models, walk it, and write it for a DSP 2024-1 peer.

Uses the official DSP 2025-1 catalog example when the shared fixtures are found (``../shared/fixtures``
beside the repository, or the folder named by ``D4H_SHARED_FIXTURES``), else a small generated catalog.

    python examples/decode_catalog.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from d4h_sdk import D4HError, models, wire

REPO = Path(__file__).resolve().parent.parent


def official_example() -> bytes | None:
    """Return the official DSP 2025-1 catalog example, if the fixtures are around."""
    root = Path(os.environ.get("D4H_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures"))
    path = root / "dsp" / "2025-1" / "examples" / "catalog" / "catalog.json"
    return path.read_bytes() if path.is_file() else None


def generated_catalog(count: int = 3) -> bytes:
    """Return a small DSP 2025-1 catalog with ``count`` datasets."""
    service = "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77"
    datasets = [
        {
            "@id": f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            "@type": "Dataset",
            "dct:title": f"Type 2 diabetes cohort {index}",
            "hasPolicy": [
                {
                    "@id": f"urn:uuid:00000000-0000-4000-9000-{index:012d}",
                    "@type": "Offer",
                    "permission": [
                        {
                            "action": "use",
                            "constraint": [
                                {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "research"}
                            ],
                        }
                    ],
                }
            ],
            "distribution": [{"@type": "Distribution", "format": "HttpData-PULL", "accessService": service}],
        }
        for index in range(count)
    ]
    catalog = {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@id": "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
        "@type": "Catalog",
        "participantId": "did:web:provider.ds4h.example",
        "service": [
            {"@id": service, "@type": "DataService", "endpointURL": "https://provider.ds4h.example/dsp"}
        ],
        "dataset": datasets,
    }
    return json.dumps(catalog).encode()


def main() -> None:
    payload = official_example()
    source = "official DSP 2025-1 example"
    if payload is None:
        payload, source = generated_catalog(), "generated catalog"
    print(f"decoding the {source} (dialect {wire.detect_dialect(json.loads(payload))})")
    try:
        catalog = wire.decode(payload)
    except D4HError as exc:
        raise SystemExit(f"could not decode the catalog: {exc}") from exc
    if not isinstance(catalog, models.Catalog):
        raise SystemExit(f"expected a catalog, got a {type(catalog).__name__}")

    print(f"catalog {catalog.id} of {catalog.participant_id}: {len(catalog.datasets)} dataset(s)")
    for dataset in catalog.datasets:
        print(f"  dataset {dataset.id}")
        for offer in dataset.has_policy:
            print(f"    offer {offer.id}")
            for permission in offer.permission:
                for constraint in permission.constraint:
                    if isinstance(constraint, models.Constraint):
                        rule = f"{constraint.left_operand} {constraint.operator} {constraint.right_operand}"
                    else:
                        rule = type(constraint).__name__
                    print(f"      {permission.action} if {rule}")
        for distribution in dataset.distributions:
            print(f"    distribution {distribution.format} via {distribution.access_service}")

    print("\nthe same catalog for a DSP 2024-1 peer:")
    print(json.dumps(wire.encode(catalog, dialect="dsp-2024-1"), indent=2))


if __name__ == "__main__":
    main()
