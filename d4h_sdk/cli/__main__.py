"""``python -m d4h_sdk.cli``: the ``d4h`` command."""

from __future__ import annotations

import sys

from d4h_sdk.cli import main

if __name__ == "__main__":
    sys.exit(main())
