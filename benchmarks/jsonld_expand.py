"""Time fast_expand against pyld expand on a synthetic DSP 2025-1 catalog and an EDC-style catalog.

Run: .venv/bin/python benchmarks/jsonld_expand.py [n_datasets]
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from d4h_sdk.jsonld import DocumentLoader, expand, fast_expand

EDC_CONTEXT = {
    "@vocab": "https://w3id.org/edc/v0.0.1/ns/",
    "edc": "https://w3id.org/edc/v0.0.1/ns/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/v0.8/",
}


def dsp_catalog(n: int) -> dict[str, Any]:
    datasets = [
        {
            "@id": f"urn:uuid:dataset-{i}",
            "@type": "Dataset",
            "hasPolicy": [
                {
                    "@id": f"urn:uuid:offer-{i}",
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
            "distribution": [
                {"@type": "Distribution", "format": "HttpData-PULL", "accessService": "urn:svc:1"}
            ],
        }
        for i in range(n)
    ]
    return {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@id": "urn:uuid:catalog",
        "@type": "Catalog",
        "participantId": "did:web:provider.example",
        "dataset": datasets,
        "service": [
            {"@id": "urn:svc:1", "@type": "DataService", "endpointURL": "https://provider.example/dsp"}
        ],
    }


def edc_catalog(n: int) -> dict[str, Any]:
    datasets = [
        {
            "@id": f"asset-{i}",
            "@type": "dcat:Dataset",
            "odrl:hasPolicy": {
                "@id": f"offer-{i}",
                "@type": "odrl:Offer",
                "odrl:permission": {"odrl:action": {"@id": "odrl:use"}},
                "odrl:prohibition": [],
                "odrl:obligation": [],
            },
            "dcat:distribution": [{"@type": "dcat:Distribution", "dct:format": {"@id": "HttpData-PULL"}}],
            "name": f"dataset {i}",
            "id": f"asset-{i}",
        }
        for i in range(n)
    ]
    return {"@context": EDC_CONTEXT, "@id": "catalog", "@type": "dcat:Catalog", "dcat:dataset": datasets}


def timeit(fn: Any, *args: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    loader = DocumentLoader()
    for name, doc in (("dsp-2025-1", dsp_catalog(n)), ("edc-v3", edc_catalog(n))):
        assert fast_expand(doc, loader=loader) == expand(doc, loader=loader)
        slow = timeit(lambda d: expand(d, loader=loader), doc, repeat=3)
        fast = timeit(lambda d: fast_expand(d, loader=loader), doc)
        print(
            f"{name}: {n} datasets  pyld expand {slow * 1000:.1f} ms  "
            f"fast_expand {fast * 1000:.1f} ms  ({slow / fast:.0f}x)"
        )


if __name__ == "__main__":
    main()
