"""The official DSP examples against the official schemas (no SDK code involved: this checks the test oracle).

Every example of 2024-1 and 2025-1 validates against its schema, except the known-defective ones, which must
fail for their documented reason. The verbatim 2025-1 transfer schemas must carry the broken
``#definitions/`` fragment, which is why the schemas are read from ``2025-1-patched-refs``.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
import referencing.exceptions

from ._schemas import (
    BROKEN_REF_SCHEMAS,
    SCHEMA_FILES,
    VERSIONS,
    Example,
    load_json,
    official_examples,
    schema_errors,
    schema_path,
    validator_for,
)

pytestmark = pytest.mark.fixtures

EXAMPLES = official_examples()
_PARAMS = [pytest.param(ex, id=ex.id) for ex in EXAMPLES] or [
    pytest.param(None, id="no-fixtures", marks=pytest.mark.skip(reason="official fixtures not found"))
]


@pytest.mark.parametrize("example", _PARAMS)
def test_example_matches_its_schema(example: Example) -> None:
    errors = schema_errors(example.version, example.message_type, example.load())
    if not example.defect:
        assert errors == [], "\n".join(errors)
        return
    assert errors, f"{example.id} is listed as defective but validates"
    text = "\n".join(errors)
    for word in example.defect:
        assert word in text, f"expected the errors of {example.id} to mention {word!r}:\n{text}"


def test_every_example_is_listed(shared_fixtures: Path) -> None:
    # official_examples() asserts the listing equals the files on disk; the counts pin the fixture set
    assert len(official_examples("2024-1")) == 23
    assert len(official_examples("2025-1")) == 27
    assert sum(bool(ex.defect) for ex in EXAMPLES) == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_file_is_used(shared_fixtures: Path, version: str) -> None:
    folder = schema_path(version, "Catalog").parent.parent
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*-schema.json")}
    helpers = {
        "common/context-schema.json",
        "negotiation/contract-schema.json",
        "transfer/transfer-schema.json",
    }
    assert on_disk - helpers == set(SCHEMA_FILES[version].values())


@pytest.mark.parametrize("relpath", BROKEN_REF_SCHEMAS)
def test_verbatim_2025_1_transfer_schemas_have_the_broken_ref(shared_fixtures: Path, relpath: str) -> None:
    name = {
        "transfer/transfer-error-schema.json": "TransferError",
        "transfer/transfer-suspension-message-schema.json": "TransferSuspensionMessage",
        "transfer/transfer-termination-message-schema.json": "TransferTerminationMessage",
    }[relpath]
    verbatim = schema_path("2025-1", name, verbatim=True)
    patched = schema_path("2025-1", name)
    broken = "transfer-schema.json#definitions/AbstractTransferCodeMessage"
    fixed = "transfer-schema.json#/definitions/AbstractTransferCodeMessage"
    assert broken in verbatim.read_text(encoding="utf-8")
    assert verbatim.read_text(encoding="utf-8").replace(broken, fixed) == patched.read_text(encoding="utf-8")

    example = next(ex for ex in official_examples("2025-1") if ex.message_type == name)
    validator = validator_for("2025-1", name, verbatim=True)
    with pytest.raises(referencing.exceptions.Unresolvable) as info:
        validator.validate(example.load())
    assert "definitions/AbstractTransferCodeMessage" in str(info.value)
    validator_for("2025-1", name).validate(example.load())  # the patched copy resolves


def test_other_verbatim_2025_1_schemas_equal_the_patched_copy(shared_fixtures: Path) -> None:
    for name, rel in SCHEMA_FILES["2025-1"].items():
        if rel in BROKEN_REF_SCHEMAS:
            continue
        verbatim = load_json(schema_path("2025-1", name, verbatim=True))
        assert verbatim == load_json(schema_path("2025-1", name)), rel


def test_schemas_declare_draft_2019_09(shared_fixtures: Path) -> None:
    for version in VERSIONS:
        for name in SCHEMA_FILES[version]:
            schema = load_json(schema_path(version, name))
            assert jsonschema.validators.validator_for(schema) is jsonschema.Draft201909Validator, (
                version,
                name,
            )


def test_validator_rejects_a_wrong_version(shared_fixtures: Path) -> None:
    # the oracle can fail: a 2025-1 message is not a 2024-1 one and vice versa
    ex25 = next(ex for ex in official_examples("2025-1") if ex.message_type == "ContractRequestMessage")
    ex24 = next(ex for ex in official_examples("2024-1") if ex.message_type == "ContractRequestMessage")
    assert schema_errors("2024-1", "ContractRequestMessage", ex25.load())
    assert schema_errors("2025-1", "ContractRequestMessage", ex24.load())
