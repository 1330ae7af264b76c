from __future__ import annotations

import subprocess
import sys


def test_importing_readers_disclosure_and_profile_does_not_import_pandas() -> None:
    code = (
        "import sys\n"
        "import d4h_sdk.health._readers, d4h_sdk.health._disclosure, d4h_sdk.health._profile\n"
        "heavy = [m for m in ('pandas', 'numpy', 'pyshacl', 'rdflib', 'pyld') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
