"""``d4h sandbox up``: run the sandbox data space in the foreground until Ctrl-C or SIGTERM.

It prints the endpoints (version metadata, the provider's DSP URLs), each participant's EDC Management API
URL and API key, every participant with its DID, STS and
STS client credentials, the trusted authorities and the datasets, then the line :data:`READY_LINE`; it stops
every server and exits with status 0 on SIGINT (Ctrl-C) or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from d4h_sdk.errors import D4HError

if TYPE_CHECKING:
    from d4h_sdk.sandbox._sandbox import Sandbox

__all__ = ["READY_LINE", "describe", "register", "run_up"]

READY_LINE = "Sandbox ready. Press Ctrl-C to stop."
"""The last line printed once the sandbox serves (scripts may wait for it)."""

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_S = 0.2


def register(commands: Any) -> None:
    """Add the ``sandbox`` command group to the ``d4h`` sub-parsers.

    Args:
        commands: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    sandbox = commands.add_parser("sandbox", help="the embedded sandbox data space")
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION")

    def usage(args: argparse.Namespace) -> int:
        sandbox.print_help(sys.stderr)
        return 2

    sandbox.set_defaults(run=usage)
    up = actions.add_parser(
        "up",
        help="run the sandbox in the foreground (Ctrl-C stops it)",
        description="Run the sandbox data space on 127.0.0.1 in the foreground and print its endpoints "
        "and sandbox-only credentials; Ctrl-C or SIGTERM stops it.",
    )
    up.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default 0)")
    up.add_argument(
        "--patients", type=_positive_int, default=200, help="patients per synthetic cohort (default 200)"
    )
    up.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite file for the provider's state (a restarted sandbox continues from it); default: memory",
    )
    up.set_defaults(run=run_up)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM while the block runs; restore the previous handlers after it."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_up(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``d4h sandbox up`` (must be called from the main thread: it installs signal handlers).

    Args:
        args: The parsed ``seed``, ``patients`` and ``store`` options.
        out: Where the endpoints are printed (default stdout).
        err: Where errors are printed (default stderr).

    Returns:
        0 after a clean stop, 1 when the sandbox cannot start.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    stop = threading.Event()
    with _stop_on_signals(stop):  # a signal during the start stops the sandbox as soon as it serves
        from d4h_sdk.sandbox._sandbox import Sandbox

        try:
            sandbox = Sandbox(seed=args.seed, patients=args.patients, store_path=args.store)
        except D4HError as exc:
            print(f"d4h sandbox up: error: {exc}", file=err, flush=True)
            return 1
        with sandbox:
            print(describe(sandbox, store=args.store), file=out)
            print(READY_LINE, file=out, flush=True)
            while not stop.wait(_POLL_S):
                pass
            print("Stopping the sandbox...", file=out, flush=True)
    print("Sandbox stopped.", file=out, flush=True)
    return 0


def describe(sandbox: Sandbox, *, store: Path | None = None) -> str:
    """A human-readable description of a running sandbox: endpoints, participants, credentials, datasets.

    Args:
        sandbox: The running sandbox.
        store: The SQLite file of the provider's state, if any.

    Returns:
        The text (several lines, no trailing newline).
    """
    connector = sandbox.connector
    lines = [
        f"d4h sandbox: started in {sandbox.start_s:.2f} s",
        "",
        "Endpoints",
        _row(2, "version URL", sandbox.version_url),
        _row(2, "provider DSP 2025-1", connector.dsp_url("2025-1")),
        _row(2, "provider DSP 2024-1", connector.dsp_url("2024-1")),
        _row(2, "provider DID", sandbox.provider.did),
        _row(2, "provider state", str(store) if store is not None else "in memory"),
        "",
        "Management APIs (EDC Management API, v3 and v4 paths; the X-Api-Key values are sandbox-only)",
    ]
    for name in sorted(sandbox.participants):
        lines += [
            f"  {name}",
            _row(4, "management URL", sandbox.management_url(name)),
            _row(4, "X-Api-Key", f"{sandbox.management_api_key(name)}  (sandbox-only)"),
        ]
    lines += [
        "",
        "Trusted authorities",
    ]
    lines += [f"  {name}: {authority.did}" for name, authority in sorted(sandbox.host.authorities.items())]
    lines += ["", "Participants (STS client secrets are sandbox-only: never reuse them elsewhere)"]
    for name, participant in sorted(sandbox.participants.items()):
        role = "provider" if participant is sandbox.provider else "consumer"
        lines += [
            f"  {name} ({role})",
            _row(4, "DID", participant.did),
            _row(4, "DID document", participant.did_url),
            _row(4, "credential service", participant.credential_service_url),
            _row(4, "STS token URL", participant.sts_url),
            _row(4, "STS client id", participant.client_id),
            _row(4, "STS client secret", f"{participant.client_secret}  (sandbox-only)"),
        ]
    lines += ["", "Datasets"]
    for dataset in sandbox.datasets:
        access = dataset.access_rights.value.rsplit("/", 1)[-1]
        offers = ", ".join((offer.id or "?").rsplit(":", 1)[-1] for offer in dataset.offers)
        payloads = ", ".join(payload.name for payload in dataset.payloads)
        lines += [
            f"  {dataset.id} [{access}]: {dataset.title}",
            f"    offers: {offers}; files: {payloads}",
        ]
    return "\n".join(lines)


def _row(indent: int, label: str, value: str) -> str:
    return f"{' ' * indent}{label + ':':<21}{value}"
