import subprocess
import sys

import d4h_sdk
import d4h_sdk.models
import d4h_sdk.wire


def _public(module: object) -> list[str]:
    return sorted(
        (name for name in vars(module) if not name.startswith("_") or name == "__version__"),
        key=str.casefold,
    )


def test_root_all_is_sorted_and_complete() -> None:
    names = [
        name
        for name in _public(d4h_sdk)
        if name not in ("annotations", "TYPE_CHECKING", "Any")
        and not isinstance(getattr(d4h_sdk, name), type(sys))
    ]
    names += [name for name in d4h_sdk._LAZY if name not in names]
    assert sorted(d4h_sdk.__all__, key=str.casefold) == sorted(names, key=str.casefold)
    assert d4h_sdk.__all__ == sorted(d4h_sdk.__all__)


def test_models_all_is_complete() -> None:
    exported = set(d4h_sdk.models.__all__)
    classes = {name for name in _public(d4h_sdk.models) if name[0].isupper()}
    assert classes <= exported
    assert d4h_sdk.models.__all__ == sorted(d4h_sdk.models.__all__)


def test_every_public_name_has_a_docstring() -> None:
    for module in (d4h_sdk, d4h_sdk.models, d4h_sdk.wire):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                assert obj.__doc__, f"{module.__name__}.{name} has no docstring"


def test_import_is_cheap() -> None:
    code = (
        "import sys, d4h_sdk; "
        "heavy = [m for m in ('pyld', 'rdflib', 'jwcrypto', 'requests', 'pydantic', 'tenacity') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "", f"import d4h_sdk pulled in {out}"


def test_wire_import_does_not_load_jsonld_or_rdf() -> None:
    code = (
        "import sys; from d4h_sdk import wire, models; "
        "print(','.join(m for m in ('pyld', 'rdflib', 'jwcrypto') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == ""


def test_only_the_http_core_imports_requests() -> None:
    import pathlib
    import re

    root = pathlib.Path(d4h_sdk.__file__).parent
    pattern = re.compile(r"^\s*(import requests|from requests\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8")) and not path.name.startswith("_http")
    ]
    assert offenders == []


def test_docs_draw_the_same_exception_tree_as_errors_py() -> None:
    import pathlib
    import re

    import d4h_sdk.errors as errors_module

    def tree(text: str) -> list[str]:
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("D4HError"))
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
        return [line.rstrip() for line in lines[start:end] if re.match(r"^(D4HError|[│├└ ])", line)]

    docs = pathlib.Path(__file__).resolve().parent.parent / "docs" / "exceptions.md"
    assert errors_module.__doc__ is not None
    assert tree(docs.read_text(encoding="utf-8")) == tree(errors_module.__doc__)
