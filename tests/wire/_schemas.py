"""Official DSP JSON Schemas and examples, read in place from the shared fixtures.

* :func:`validator_for` returns a jsonschema validator for one message type of one DSP version, resolving
  every ``$ref`` offline through a :class:`referencing.Registry` keyed by each schema's ``$id``.
* :func:`official_examples` lists every official example of a version with its expected message type and,
  for the known-defective ones, the reason they fail their schema.

2025-1 schemas are read from ``dsp/2025-1-patched-refs`` (the verbatim ``dsp/2025-1`` transfer schemas carry
a broken ``#definitions/`` fragment, see :data:`BROKEN_REF_SCHEMAS`); the 2025-1 examples are the same bytes
in both folders.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import jsonschema.protocols  # type: ignore[import-untyped]
import referencing
import referencing.jsonschema
from conftest import find_shared_fixtures
from referencing import Registry, Resource

__all__ = [
    "BROKEN_REF_SCHEMAS",
    "DEFECTIVE_EXAMPLES",
    "JSONLD_DEFECTS",
    "EXAMPLE_TYPES",
    "SCHEMA_FILES",
    "VERSIONS",
    "Example",
    "dsp_root",
    "load_json",
    "official_examples",
    "registry_for",
    "schema_errors",
    "schema_path",
    "validator_for",
]

VERSIONS: tuple[str, ...] = ("2024-1", "2025-1")
"""The DSP versions with official schemas and examples."""

_SCHEMA_DIRS: dict[str, str] = {"2024-1": "2024-1", "2025-1": "2025-1-patched-refs"}
"""Fixture folder (under ``dsp/``) whose ``schemas/`` and ``examples/`` are used per version."""

_COMMON_SCHEMAS: dict[str, str] = {
    "CatalogRequestMessage": "catalog/catalog-request-message",
    "DatasetRequestMessage": "catalog/dataset-request-message",
    "Catalog": "catalog/catalog",
    "Dataset": "catalog/dataset",
    "CatalogError": "catalog/catalog-error",
    "ContractRequestMessage": "negotiation/contract-request-message",
    "ContractOfferMessage": "negotiation/contract-offer-message",
    "ContractAgreementMessage": "negotiation/contract-agreement-message",
    "ContractAgreementVerificationMessage": "negotiation/contract-agreement-verification-message",
    "ContractNegotiationEventMessage": "negotiation/contract-negotiation-event-message",
    "ContractNegotiationTerminationMessage": "negotiation/contract-negotiation-termination-message",
    "ContractNegotiation": "negotiation/contract-negotiation",
    "ContractNegotiationError": "negotiation/contract-negotiation-error",
    "TransferRequestMessage": "transfer/transfer-request-message",
    "TransferStartMessage": "transfer/transfer-start-message",
    "TransferSuspensionMessage": "transfer/transfer-suspension-message",
    "TransferCompletionMessage": "transfer/transfer-completion-message",
    "TransferTerminationMessage": "transfer/transfer-termination-message",
    "TransferProcess": "transfer/transfer-process",
    "TransferError": "transfer/transfer-error",
}

SCHEMA_FILES: dict[str, dict[str, str]] = {
    "2024-1": {
        **{name: f"{stem}-schema.json" for name, stem in _COMMON_SCHEMAS.items()},
        "VersionResponse": "common/version-schema.json",
    },
    "2025-1": {
        **{name: f"{stem}-schema.json" for name, stem in _COMMON_SCHEMAS.items()},
        "DataAddress": "transfer/data-address-schema.json",
        "VersionResponse": "common/protocol-version-schema.json",
        "DidService": "common/did-service-schema.json",
    },
}
"""Message type (the 2025-1 ``@type`` term; ``VersionResponse`` / ``DidService`` for the untyped documents)
-> schema file under ``<version>/schemas``. 2024-1 has a separate Dataset schema too, but no DataAddress or
DID service schema."""

_COMMON_EXAMPLES: dict[str, str] = {
    "catalog/catalog-error.json": "CatalogError",
    "catalog/catalog-request-message.json": "CatalogRequestMessage",
    "catalog/catalog.json": "Catalog",
    "catalog/dataset-request-message.json": "DatasetRequestMessage",
    "catalog/dataset.json": "Dataset",
    "negotiation/contract-agreement-message.json": "ContractAgreementMessage",
    "negotiation/contract-agreement-verification-message.json": "ContractAgreementVerificationMessage",
    "negotiation/contract-negotiation-error.json": "ContractNegotiationError",
    "negotiation/contract-negotiation-event-message.json": "ContractNegotiationEventMessage",
    "negotiation/contract-negotiation-termination-message.json": "ContractNegotiationTerminationMessage",
    "negotiation/contract-negotiation.json": "ContractNegotiation",
    "negotiation/contract-offer-message.json": "ContractOfferMessage",
    "negotiation/contract-offer-message_initial.json": "ContractOfferMessage",
    "negotiation/contract-request-message.json": "ContractRequestMessage",
    "negotiation/contract-request-message_initial.json": "ContractRequestMessage",
    "transfer/transfer-completion-message.json": "TransferCompletionMessage",
    "transfer/transfer-error.json": "TransferError",
    "transfer/transfer-process.json": "TransferProcess",
    "transfer/transfer-request-message.json": "TransferRequestMessage",
    "transfer/transfer-start-message.json": "TransferStartMessage",
    "transfer/transfer-suspension-message.json": "TransferSuspensionMessage",
    "transfer/transfer-termination-message.json": "TransferTerminationMessage",
}

EXAMPLE_TYPES: dict[str, dict[str, str]] = {
    "2024-1": {
        **_COMMON_EXAMPLES,
        "negotiation/contract.agreement.message.http.transfer.json": "ContractAgreementMessage",
    },
    "2025-1": {
        **_COMMON_EXAMPLES,
        "catalog/nested-catalog.json": "Catalog",
        "common/catalogservice-did-service.json": "DidService",
        "common/dataservice-did-service.json": "DidService",
        "common/protocol-version.json": "VersionResponse",
        "negotiation/contract-agreement-message-full.json": "ContractAgreementMessage",
    },
}
"""Example file (relative to ``<version>/examples``) -> expected message type, for every official example."""

DEFECTIVE_EXAMPLES: dict[str, dict[str, tuple[str, ...]]] = {
    "2024-1": {
        # dspace:TRANSPORT is no ODRL left operand and odrl:equals no operator (the schema tolerates the typo
        # `oderl:rightOperand`, an extra property)
        "negotiation/contract.agreement.message.http.transfer.json": ("dspace:TRANSPORT", "odrl:equals"),
    },
    "2025-1": {
        # serviceEndpoint ends in /.well-known/dspace-version but the schema wants `https?://.*?/catalog$`
        "common/dataservice-did-service.json": ("serviceEndpoint", "/catalog$"),
    },
}
"""Known-defective official examples -> words the validation errors must mention (see dsp/SOURCES.md)."""

JSONLD_DEFECTS: dict[str, dict[str, str]] = {
    "2024-1": {
        # `"target"` without prefix is no term of the 2024-1 context: a JSON-LD processor drops it, while the
        # plain-JSON reading (our fast path) keeps the offer's target.
        "negotiation/contract-offer-message_initial.json": "http://www.w3.org/ns/odrl/2/target",
        # `"dct:format": "dspace:s3+push"` is a plain literal here, but an IRI (`{"@id": ...}`) in the 2024-1
        # dataset example and a @vocab term in 2025-1; the SDK writes formats as IRIs.
        "catalog/catalog.json": "http://purl.org/dc/terms/format",
    },
}
"""Official examples whose JSON-LD meaning differs from their plain-JSON reading -> the property concerned."""

BROKEN_REF_SCHEMAS: tuple[str, ...] = (
    "transfer/transfer-error-schema.json",
    "transfer/transfer-suspension-message-schema.json",
    "transfer/transfer-termination-message-schema.json",
)
"""Verbatim 2025-1 schemas whose ``$ref`` uses ``#definitions/`` (no leading ``/``): unusable as shipped."""


@dataclass(frozen=True)
class Example:
    """One official example file.

    Attributes:
        version: ``"2024-1"`` or ``"2025-1"``.
        relpath: Path relative to ``<version>/examples``, e.g. ``"catalog/catalog.json"``.
        path: Absolute path of the file.
        message_type: The expected message type (a key of :data:`SCHEMA_FILES`).
        defect: Words the schema errors must mention if the example is known to be invalid, else ``()``.
    """

    version: str
    relpath: str
    path: Path
    message_type: str
    defect: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The pytest id, e.g. ``"2025-1/negotiation/contract-request-message.json"``."""
        return f"{self.version}/{self.relpath}"

    @property
    def dialect(self) -> str:
        """The wire dialect of this example, e.g. ``"dsp-2025-1"``."""
        return f"dsp-{self.version}"

    def load(self) -> Any:
        """Return the parsed JSON of the example."""
        return load_json(self.path)


def dsp_root() -> Path | None:
    """Return ``shared/fixtures/dsp`` or ``None`` when the official fixtures are absent."""
    root = find_shared_fixtures()
    if root is None or not (root / "dsp").is_dir():
        return None
    return root / "dsp"


def load_json(path: Path) -> Any:
    """Parse one JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def official_examples(version: str | None = None) -> list[Example]:
    """List every official example (of one version, or of both) with its expected message type.

    Args:
        version: ``"2024-1"``, ``"2025-1"`` or ``None`` for both.

    Returns:
        The examples sorted by id; empty when the fixtures are absent.

    Raises:
        AssertionError: A file on disk is missing from :data:`EXAMPLE_TYPES` or the other way round.
    """
    root = dsp_root()
    if root is None:
        return []
    result: list[Example] = []
    for ver in VERSIONS if version is None else (version,):
        folder = root / _SCHEMA_DIRS[ver] / "examples"
        on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
        assert on_disk == sorted(EXAMPLE_TYPES[ver]), f"{ver}: examples on disk differ from EXAMPLE_TYPES"
        defects = DEFECTIVE_EXAMPLES[ver]
        for rel in on_disk:
            result.append(Example(ver, rel, folder / rel, EXAMPLE_TYPES[ver][rel], defects.get(rel, ())))
    return result


def schema_path(version: str, message_type: str, *, verbatim: bool = False) -> Path:
    """Return the schema file of a message type.

    Args:
        version: ``"2024-1"`` or ``"2025-1"``.
        message_type: A key of ``SCHEMA_FILES[version]``.
        verbatim: For 2025-1, read the unpatched upstream folder instead of ``2025-1-patched-refs``.

    Returns:
        The absolute path of the schema file.
    """
    root = dsp_root()
    assert root is not None, "official fixtures are absent"
    folder = version if verbatim else _SCHEMA_DIRS[version]
    return root / folder / "schemas" / SCHEMA_FILES[version][message_type]


@functools.cache
def registry_for(schemas_dir: Path) -> Registry[Any]:
    """Build a registry of every schema under ``schemas_dir`` that declares an ``$id``.

    Args:
        schemas_dir: A ``schemas`` folder of the fixtures.

    Returns:
        A crawled registry keyed by ``$id``.
    """
    resources: list[tuple[str, Resource[Any]]] = []
    for path in sorted(schemas_dir.rglob("*.json")):
        contents = load_json(path)
        if "$id" not in contents:  # 2024-1 common/definitions.schema.json: empty and never referenced
            continue
        resource = Resource.from_contents(contents, default_specification=referencing.jsonschema.DRAFT201909)
        resources.append((contents["$id"], resource))
    return Registry().with_resources(resources).crawl()


def validator_for(
    version: str, message_type: str, *, verbatim: bool = False
) -> jsonschema.protocols.Validator:
    """Return a validator for a message type of a DSP version (``$schema`` decides the draft: 2019-09).

    Args:
        version: ``"2024-1"`` or ``"2025-1"``.
        message_type: The 2025-1 ``@type`` term (``"Catalog"``, ``"ContractRequestMessage"``, ...), or
            ``"VersionResponse"``, ``"DataAddress"``, ``"DidService"``.
        verbatim: For 2025-1, use the unpatched upstream schemas (three of them have broken ``$ref``s).

    Returns:
        A validator whose ``$ref``s resolve offline.
    """
    path = schema_path(version, message_type, verbatim=verbatim)
    schema = load_json(path)
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft201909Validator, f"{path.name} declares {schema.get('$schema')}"
    return cls(schema, registry=registry_for(path.parent.parent))


def schema_errors(version: str, message_type: str, document: Any) -> list[str]:
    """Return the validation errors of a document as ``"<json path>: <message>"`` lines (empty if valid).

    The document is validated in its wire form (``json.dumps`` then ``json.loads``), so tuples count as arrays.
    """
    validator = validator_for(version, message_type)
    lines: list[str] = []
    for error in validator.iter_errors(json.loads(json.dumps(document))):
        for leaf in _leaves(error):
            lines.append(f"{leaf.json_path}: {leaf.message}")
    return lines


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Return the deepest sub-errors of a validation error (``allOf``/``anyOf`` contexts flattened)."""
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]
