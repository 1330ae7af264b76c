"""Importing the SDK or the sandbox package must not pull in werkzeug."""

from __future__ import annotations

import subprocess
import sys


def test_sandbox_package_does_not_import_werkzeug() -> None:
    code = (
        "import sys, d4h_sdk, d4h_sdk.sandbox; "
        "assert 'werkzeug' not in sys.modules, 'werkzeug imported'; "
        "import d4h_sdk.sandbox._participants; "
        "assert 'werkzeug' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
