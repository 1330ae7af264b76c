"""``d4h fetch AGREEMENT_ID -o FILE``: pull the data of a stored contract, with a progress bar.

```
d4h fetch urn:uuid:... -o cohort.csv [--overwrite]
```

The agreement must be in the store (``d4h negotiate`` records it). The data is written to a temporary file
beside ``FILE``, verified against the provider's digest when it sends one, and only then renamed: ``FILE``
never holds a partial download.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d4h_sdk.cli import _common

if TYPE_CHECKING:
    from rich.console import Console

    from d4h_sdk.session import Session

__all__ = ["register", "run_fetch"]


def register(commands: Any) -> None:
    """Add the ``fetch`` command to the ``d4h`` sub-parsers.

    Args:
        commands: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    parser = commands.add_parser(
        "fetch",
        help="download the data of an agreement to a file",
        description="Pull the data of an agreement recorded in the store (see 'd4h negotiate') to a file, "
        "with a progress bar; the provider's checksum is verified before the file appears.",
    )
    parser.add_argument("agreement_id", metavar="AGREEMENT_ID", help="the agreement id")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE", help="where to write the data"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    parser.add_argument(
        "--timeout",
        type=_common.positive_float,
        metavar="S",
        help="seconds to wait for the transfer to start (default $D4H_TRANSFER_TIMEOUT or 120)",
    )
    _common.add_connection_options(parser)
    parser.set_defaults(run=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    """Run ``d4h fetch``; returns the exit code."""
    return _common.run_with_session("fetch", args, lambda s, out, err: _fetch(args, s, out, err))


def _fetch(args: argparse.Namespace, session: Session, out: Console, err: Console) -> int:
    from rich.markup import escape
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("download", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        with session.transfers.pull(args.agreement_id, timeout=args.timeout, progress=progress) as download:
            path = download.to_file(args.output, overwrite=args.overwrite)
    size = path.stat().st_size
    out.print(f"Saved {size} bytes to {escape(str(path))}")
    if download.verified and download.checksum:
        out.print(f"Checksum {download.checksum} [green]verified[/]")
    else:
        out.print(f"The provider sent no checksum; SHA-256 of the bytes received: {download.sha256 or '-'}")
    return _common.EXIT_OK
