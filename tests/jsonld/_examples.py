"""Where the official examples and context documents live in the shared fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from d4h_sdk.jsonld import DocumentLoader

# Our bundled URL -> the official copy in the fixtures.
OFFICIAL: dict[str, str] = {
    "https://w3id.org/dspace/2024/1/context.json": "dsp/2024-1/context/context.json",
    "https://w3id.org/dspace/2025/1/context.jsonld": "dsp/2025-1/context/context.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "dsp/2025-1/context/odrl-profile.jsonld",
    "https://w3id.org/edc/connector/management/v0.0.1": (
        "dsp/edc-v0.14.1/context/management-context-v1.jsonld"
    ),
    "https://w3id.org/edc/connector/management/v2": "dsp/edc-v0.14.1/context/management-context-v2.jsonld",
    "https://w3id.org/edc/dspace/v0.0.1": "dsp/edc-v0.14.1/context/dspace-edc-context-v1.jsonld",
    "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld": "dcp/spec/main/resources/context/dcp.jsonld",
    "https://www.w3.org/2018/credentials/v1": "vc/contexts/credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "vc/contexts/credentials-v2.jsonld",
    "https://w3id.org/security/suites/jws-2020/v1": "vc/contexts/lds-jws2020-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "vc/vc-di-eddsa/contexts/lds-ed25519-2020-v1.json",
    "http://www.w3.org/ns/odrl.jsonld": "vc/contexts/odrl.jsonld",
}

# Example contexts the VC vectors use; not bundled, served to both loaders in the tests.
EXAMPLE_CONTEXTS: dict[str, str] = {
    "https://www.w3.org/ns/credentials/examples/v2": "vc/contexts/credentials-examples-v2.jsonld",
    "https://www.w3.org/2018/credentials/examples/v1": "vc/contexts/credentials-examples-v1.jsonld",
}

EXAMPLE_GLOBS = (
    "dsp/2024-1/examples/**/*.json",
    "dsp/2025-1/examples/**/*.json",
    "dcp/**/example/*.json",
    "vc/vc-di-eddsa/TestVectors/**/*.json",
    "didweb/*.json",
)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def example_documents(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every fixture example that is a JSON-LD document whose contexts we can serve."""
    found: list[tuple[str, dict[str, Any]]] = []
    for pattern in EXAMPLE_GLOBS:
        for path in sorted(root.glob(pattern)):
            doc = load_json(path)
            if (
                isinstance(doc, dict)
                and "@context" in doc
                and "citizenship" not in json.dumps(doc["@context"])
            ):
                found.append((str(path.relative_to(root)), doc))
    return found


def uses(doc: Any, url: str) -> bool:
    return url in json.dumps(doc.get("@context"))


def examples_loader_documents(root: Path) -> dict[str, Any]:
    return {url: load_json(root / rel) for url, rel in EXAMPLE_CONTEXTS.items()}


def official_loader(root: Path) -> DocumentLoader:
    """A loader that serves the official fixture copies instead of our bundled documents."""
    docs = {url: load_json(root / rel) for url, rel in OFFICIAL.items()}
    docs.update(examples_loader_documents(root))
    return DocumentLoader(documents=docs)


def our_loader(root: Path) -> DocumentLoader:
    return DocumentLoader(documents=examples_loader_documents(root))
