"""The ``d4h`` command line.

```
d4h --version
d4h demo [--backend edc|dsp]
d4h sandbox up [--seed N] [--patients N] [--store PATH]
d4h catalog PROVIDER_URL [--provider-id DID] [--text T] [--purpose NAME_OR_IRI] [--theme T] [--limit N]
    [--json]
d4h negotiate PROVIDER_URL DATASET_ID --purpose NAME_OR_IRI [--provider-id DID] [--offer-id ID] [--timeout S]
    [--no-wait]
d4h negotiations [--json]
d4h negotiations resume ID [--timeout S]
d4h fetch AGREEMENT_ID -o FILE [--overwrite] [--timeout S]
```

The commands that talk to your EDC also take ``--management-url`` / ``--api-key`` (default
``$D4H_MANAGEMENT_URL`` / ``$D4H_API_KEY``), ``--api-version v3|v4`` and ``--store PATH`` (default
:func:`d4h_sdk.store.default_store_path`).

Only the standard library's :mod:`argparse` is used here; each sub-command imports what it needs when it runs,
so that ``d4h --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from d4h_sdk.cli import _catalog_cmd, _demo_cmd, _fetch_cmd, _negotiate_cmd, _sandbox_cmd

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``d4h`` command."""
    from d4h_sdk import __version__

    parser = argparse.ArgumentParser(
        prog="d4h", description="d4h_sdk: tools for participants of a Gaia-X health data space."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _demo_cmd.register(commands)
    _sandbox_cmd.register(commands)
    _catalog_cmd.register(commands)
    _negotiate_cmd.register(commands)
    _fetch_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``d4h`` command.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit code (0 on success).
    """
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = run(args)
    return code
