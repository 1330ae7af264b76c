"""Options and plumbing shared by the ``d4h`` commands that talk to your EDC: connection, store, output.

Every such command takes ``--management-url`` / ``--api-key`` (default ``$D4H_MANAGEMENT_URL`` /
``$D4H_API_KEY``), ``--api-version v3|v4`` (default: detected) and ``--store PATH`` (default
:func:`~d4h_sdk.store.default_store_path`, a SQLite file created on first use). Exit codes: 0 ok, 1 a
``d4h_sdk`` error (its message printed, no traceback), 2 a usage error.

Options are added with ``default=argparse.SUPPRESS`` and read with :func:`option`: a sub-command's parser
then never overwrites a value given to its parent command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import D4HError

if TYPE_CHECKING:
    from rich.console import Console

    from d4h_sdk.connectors import Provider
    from d4h_sdk.policy import Purpose
    from d4h_sdk.session import Session
    from d4h_sdk.store import SqliteStore

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_connection_options",
    "add_store_option",
    "consoles",
    "open_store",
    "option",
    "parse_purpose",
    "positive_float",
    "positive_int",
    "provider_of",
    "purpose_names",
    "run_with_session",
]

EXIT_OK = 0
"""The command did what was asked."""
EXIT_ERROR = 1
"""A ``d4h_sdk`` error (refused negotiation, HTTP failure, store problem...): its message is printed."""
EXIT_USAGE = 2
"""Bad arguments or missing configuration (the same code argparse uses)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it); a download in progress leaves no file behind."""

_WIDE = 250
"""Console width when the output is not a terminal: long ids and URLs stay on one line."""


def option(args: argparse.Namespace, name: str) -> Any:
    """The value of an option added by this module (``None`` when not given)."""
    return getattr(args, name, None)


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--store PATH`` (default :func:`~d4h_sdk.store.default_store_path`)."""
    parser.add_argument(
        "--store",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="the SQLite state file (default $D4H_STORE_PATH, else $XDG_STATE_HOME/d4h/store.sqlite, "
        "else ~/.local/state/d4h/store.sqlite)",
    )


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--management-url``, ``--api-key``, ``--api-version`` and ``--store``."""
    group = parser.add_argument_group("connection (your EDC's Management API)")
    group.add_argument(
        "--management-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="the management API base, without /v3 (default $D4H_MANAGEMENT_URL)",
    )
    group.add_argument(
        "--api-key", default=argparse.SUPPRESS, metavar="KEY", help="the X-Api-Key (default $D4H_API_KEY)"
    )
    group.add_argument(
        "--api-version",
        choices=("v3", "v4"),
        default=argparse.SUPPRESS,
        help="Management API version: v3 (EDC 0.14) or v4 (EDC 0.17+); default: detected",
    )
    add_store_option(parser)


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def purpose_names() -> list[str]:
    """The names ``--purpose`` accepts: the purpose constants of :data:`d4h_sdk.purposes`."""
    from d4h_sdk.policy import Purpose, purposes

    return sorted(
        name for name in dir(purposes) if name.isupper() and isinstance(getattr(purposes, name), Purpose)
    )


def parse_purpose(text: str) -> Purpose | str:
    """An argparse type: a purpose by name (``scientific_research``, any case) or by IRI.

    Raises:
        argparse.ArgumentTypeError: Neither a known name nor an IRI (the message lists the names).
    """
    from d4h_sdk.policy import purposes

    value = text.strip()
    if ":" in value:
        return value  # an IRI (https://..., urn:...)
    name = value.upper().replace("-", "_")
    if name in purpose_names():
        found: Purpose = getattr(purposes, name)
        return found
    raise argparse.ArgumentTypeError(
        f"unknown purpose {text!r}; give an IRI or one of: {', '.join(purpose_names())}"
    )


def provider_of(address: str, participant_id: str | None) -> Provider:
    """The provider from its DSP URL and optional participant id (DID).

    Raises:
        ConfigurationError: The address is not an http(s) URL.
    """
    from d4h_sdk.connectors import Provider

    return Provider(address, participant_id=participant_id)


def consoles() -> tuple[Console, Console]:
    """Rich consoles for results (stdout) and for progress and errors (stderr).

    Raises:
        SystemExit: rich is not installed (it comes with the ``[cli]`` extra).
    """
    try:
        from rich.console import Console
    except ImportError as exc:  # pragma: no cover - rich is in the [cli] and [dev] extras
        raise SystemExit("the d4h command needs rich: pip install 'd4h-sdk[cli]'") from exc
    # soft_wrap: a message is never cut into lines (ids and URLs stay whole); tables still fit the width
    out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else _WIDE)
    err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else _WIDE)
    return out, err


def open_store(args: argparse.Namespace) -> SqliteStore:
    """The SQLite store at ``--store`` (default :func:`~d4h_sdk.store.default_store_path`), made if missing.

    Raises:
        StoreError: The file cannot be created or read.
    """
    from d4h_sdk.store import SqliteStore, default_store_path

    path = option(args, "store")
    return SqliteStore(path if path is not None else default_store_path())


def _lacks_provider_id(args: argparse.Namespace, exc: D4HError) -> bool:
    """Whether the error says the provider's participant id is missing and ``--provider-id`` was not given."""
    text = str(exc)
    return (
        "provider_id" in vars(args)
        and option(args, "provider_id") is None
        and ("participant id" in text or "participant_id" in text)
    )


@contextmanager
def _session(args: argparse.Namespace, url: str) -> Iterator[Session]:
    from d4h_sdk.session import Session

    with ExitStack() as stack:
        store = stack.enter_context(open_store(args))  # closed after the session has saved its state
        session = Session.edc(
            url,
            api_key=option(args, "api_key") or os.environ.get("D4H_API_KEY"),
            api_version=option(args, "api_version"),
            store=store,
        )
        stack.enter_context(session)
        yield session


def run_with_session(
    command: str, args: argparse.Namespace, body: Callable[[Session, Console, Console], int]
) -> int:
    """Open the session described by the connection options, run ``body`` and map errors to exit codes.

    Args:
        command: The command name, for messages (``"catalog"``).
        args: The parsed options.
        body: Does the work with ``(session, stdout console, stderr console)`` and returns the exit code.

    Returns:
        ``body``'s code; 1 after a ``d4h_sdk`` error; 2 when no management URL is configured; 130 after
        Ctrl-C.
    """
    from rich.markup import escape

    out, err = consoles()
    url = option(args, "management_url") or os.environ.get("D4H_MANAGEMENT_URL")
    if not url:
        err.print(
            f"d4h {command}: error: no management URL: pass --management-url URL or set D4H_MANAGEMENT_URL "
            "(the base of your EDC's Management API, without /v3)"
        )
        return EXIT_USAGE
    try:
        with _session(args, url) as session:
            return body(session, out, err)
    except D4HError as exc:
        err.print(f"[bold red]d4h {command}: error:[/] {escape(str(exc))}")
        if _lacks_provider_id(args, exc):
            err.print("Pass the provider's participant id (DID) with --provider-id.")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print(f"d4h {command}: interrupted")
        return EXIT_INTERRUPTED
