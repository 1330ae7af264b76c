"""Importing the health layer stays cheap: no rdflib, pyld, pySHACL or pandas."""

from __future__ import annotations

import subprocess
import sys


def test_import_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, d4h_sdk, d4h_sdk.health, d4h_sdk.health.healthdcat;"
        "print(sorted(m for m in ('rdflib', 'pyld', 'pyshacl', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_exported_and_sorted() -> None:
    import d4h_sdk.health as health
    import d4h_sdk.health.healthdcat as healthdcat

    for module in (health, healthdcat):
        assert list(module.__all__) == sorted(
            module.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
        )
        for name in module.__all__:
            assert getattr(module, name) is not None
