"""``d4h negotiate`` and ``d4h negotiations [resume ID]``: contract negotiations, recorded in the store.

```
d4h negotiate https://hospital.example/api/dsp diabetes-sample --purpose scientific_research
d4h negotiations                       # what the store holds (state, dataset, agreement)
d4h negotiations resume NEGOTIATION_ID # continue one after a restart (or after --no-wait)
```

``negotiate`` reads the dataset from the provider's catalog, picks an offer compatible with the purpose (or
the ``--offer-id`` you name, skipping the local check), sends the request and prints each state as it
happens, then the agreement id, which ``d4h fetch`` takes.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from d4h_sdk.cli import _common
from d4h_sdk.errors import D4HError, NegotiationTimeoutError, PolicyMismatchError

if TYPE_CHECKING:
    from rich.console import Console

    from d4h_sdk.connectors import NegotiationStatus
    from d4h_sdk.negotiation import Contract
    from d4h_sdk.session import Session

__all__ = ["register", "run_negotiate", "run_negotiations", "run_resume"]


def register(commands: Any) -> None:
    """Add the ``negotiate`` and ``negotiations`` commands to the ``d4h`` sub-parsers.

    Args:
        commands: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    negotiate = commands.add_parser(
        "negotiate",
        help="negotiate a contract for a dataset",
        description="Negotiate a contract for a dataset through your EDC, for a declared purpose; prints "
        "each state as it happens and the agreement id; the negotiation is recorded in the store.",
    )
    negotiate.add_argument("provider_url", metavar="PROVIDER_URL", help="the provider's DSP endpoint")
    negotiate.add_argument(
        "dataset_id", metavar="DATASET_ID", help="the dataset id in the provider's catalog"
    )
    negotiate.add_argument(
        "--purpose",
        type=_common.parse_purpose,
        required=True,
        metavar="NAME_OR_IRI",
        help="your purpose, e.g. SCIENTIFIC_RESEARCH (a d4h_sdk.purposes name) or an IRI",
    )
    negotiate.add_argument(
        "--provider-id", metavar="DID", help="the provider's participant id (default: from its catalog)"
    )
    negotiate.add_argument(
        "--offer-id", metavar="ID", help="request this offer (the local policy check is skipped)"
    )
    _add_timeout(negotiate)
    negotiate.add_argument(
        "--no-wait", action="store_true", help="send the request, print the negotiation id and return"
    )
    _common.add_connection_options(negotiate)
    negotiate.set_defaults(run=run_negotiate)

    listing = commands.add_parser(
        "negotiations",
        help="list the negotiations in the store, or resume one",
        description="List the negotiations recorded in the store (newest last); "
        "'d4h negotiations resume ID' continues one.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    _common.add_store_option(listing)
    listing.set_defaults(run=run_negotiations)
    actions = listing.add_subparsers(dest="negotiations_command", metavar="ACTION")
    resume = actions.add_parser(
        "resume",
        help="wait for a recorded negotiation to finish (after a restart or --no-wait)",
        description="Continue a negotiation recorded in the store and print the agreement id.",
    )
    resume.add_argument("negotiation_id", metavar="ID", help="the negotiation id (see 'd4h negotiations')")
    _add_timeout(resume)
    _common.add_connection_options(resume)
    resume.set_defaults(run=run_resume)


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_common.positive_float,
        metavar="S",
        help="seconds to wait for the agreement (default $D4H_NEGOTIATION_TIMEOUT or 300)",
    )


def _printer(out: Console) -> Any:
    started = time.perf_counter()

    def show(status: NegotiationStatus) -> None:
        out.print(f"  {time.perf_counter() - started:7.3f} s  negotiation [bold]{status.state.value}[/]")

    return show


def _agreed(out: Console, contract: Contract) -> int:
    out.print(f"Agreement [cyan]{contract.id}[/] (dataset {contract.dataset_id or '?'})")
    out.print(f"Fetch the data with: d4h fetch {contract.id} -o FILE")
    return _common.EXIT_OK


def _timed_out(err: Console, exc: NegotiationTimeoutError) -> int:
    from rich.markup import escape

    err.print(f"[bold red]d4h: error:[/] {escape(str(exc))}")
    err.print(f"Wait again with: d4h negotiations resume {exc.negotiation_id}")
    return _common.EXIT_ERROR


def run_negotiate(args: argparse.Namespace) -> int:
    """Run ``d4h negotiate``; returns the exit code."""
    return _common.run_with_session("negotiate", args, lambda s, out, err: _negotiate(args, s, out, err))


def _negotiate(args: argparse.Namespace, session: Session, out: Console, err: Console) -> int:
    provider = _common.provider_of(args.provider_url, args.provider_id)
    hit = session.catalog.get(provider, args.dataset_id, purpose=args.purpose)
    try:
        negotiation_id = session.negotiations.start(hit, purpose=args.purpose, offer_id=args.offer_id)
    except PolicyMismatchError as exc:
        from rich.markup import escape

        err.print(f"[bold red]d4h negotiate: error:[/] {escape(str(exc))}")
        err.print("Nothing was sent. To ask the provider anyway, name an offer with --offer-id.")
        return _common.EXIT_ERROR
    out.print(f"Negotiation [cyan]{negotiation_id}[/] requested for dataset {args.dataset_id}")
    if args.no_wait:
        out.print(f"Wait for it with: d4h negotiations resume {negotiation_id}")
        return _common.EXIT_OK
    try:
        contract = session.negotiations.wait(negotiation_id, timeout=args.timeout, on_state=_printer(out))
    except NegotiationTimeoutError as exc:
        return _timed_out(err, exc)
    return _agreed(out, contract)


def run_resume(args: argparse.Namespace) -> int:
    """Run ``d4h negotiations resume ID``; returns the exit code."""
    return _common.run_with_session(
        "negotiations resume", args, lambda s, out, err: _resume(args, s, out, err)
    )


def _resume(args: argparse.Namespace, session: Session, out: Console, err: Console) -> int:
    out.print(f"Resuming negotiation [cyan]{args.negotiation_id}[/]")
    try:
        contract = session.negotiations.resume(
            args.negotiation_id, timeout=args.timeout, on_state=_printer(out)
        )
    except NegotiationTimeoutError as exc:
        return _timed_out(err, exc)
    return _agreed(out, contract)


def run_negotiations(args: argparse.Namespace) -> int:
    """Run ``d4h negotiations``: list what the store holds; returns the exit code."""
    from rich.markup import escape
    from rich.table import Table

    out, err = _common.consoles()
    try:
        with _common.open_store(args) as store:
            records = sorted(store.list_negotiations(), key=lambda record: record.created_at)
            path = store.path
    except D4HError as exc:
        err.print(f"[bold red]d4h negotiations: error:[/] {escape(str(exc))}")
        return _common.EXIT_ERROR
    if args.json:
        rows = [
            {
                "id": r.id,
                "state": r.state,
                "dataset_id": r.dataset_id,
                "provider": r.provider_address,
                "provider_id": r.provider_id,
                "agreement_id": r.agreement_id,
                "backend": r.backend,
                "created_at": _when(r.created_at),
                "updated_at": _when(r.updated_at),
            }
            for r in records
        ]
        print(json.dumps(rows, indent=2))
        return _common.EXIT_OK
    table = Table("negotiation", "state", "dataset", "agreement", "provider", "updated", title=escape(path))
    for r in records:
        table.add_row(
            escape(r.id),
            r.state,
            escape(r.dataset_id or "-"),
            escape(r.agreement_id or "-"),
            escape(r.provider_address),
            _when(r.updated_at),
        )
    out.print(table)
    out.print(f"{len(records)} negotiation(s)")
    return _common.EXIT_OK


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")
