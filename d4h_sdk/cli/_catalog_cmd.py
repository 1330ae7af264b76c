"""``d4h catalog PROVIDER_URL``: search a provider's catalog through your EDC; a table or JSON records.

```
d4h catalog https://hospital.example/api/dsp --provider-id did:web:hospital.example
    --purpose scientific_research --text diabetes --theme NONCOMMUNICABLE_DISEASES --limit 10
```

With ``--purpose`` every offer is checked locally and compatible datasets come first; ``--json`` prints
:meth:`SearchResults.to_records <d4h_sdk.catalog.SearchResults.to_records>` instead of a table.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from d4h_sdk.cli import _common

if TYPE_CHECKING:
    from rich.console import Console

    from d4h_sdk.catalog import DatasetHit
    from d4h_sdk.session import Session

__all__ = ["register", "run_catalog"]

_FACETS = (
    # (option, DatasetFilter field, help)
    ("--theme", "health_theme", "a health theme (e.g. NONCOMMUNICABLE_DISEASES or an IRI); repeatable"),
    ("--category", "health_category", "a health category (e.g. EHRS or an IRI); repeatable"),
    ("--code", "codes", "a clinical code (E11 also matches E11.9); repeatable"),
    ("--access-rights", "access_rights", "PUBLIC, RESTRICTED, NON_PUBLIC or an IRI; repeatable"),
)


def register(commands: Any) -> None:
    """Add the ``catalog`` command to the ``d4h`` sub-parsers.

    Args:
        commands: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    parser = commands.add_parser(
        "catalog",
        help="search a provider's catalog",
        description="Search a provider's catalog through your EDC; with --purpose, offers are checked "
        "locally and compatible datasets come first.",
    )
    parser.add_argument("provider_url", metavar="PROVIDER_URL", help="the provider's DSP endpoint")
    parser.add_argument(
        "--provider-id", metavar="DID", help="the provider's participant id (EDC v4 requires it)"
    )
    parser.add_argument("--text", metavar="T", help="free text (title, description, keywords)")
    parser.add_argument(
        "--purpose",
        type=_common.parse_purpose,
        metavar="NAME_OR_IRI",
        help="your purpose, e.g. SCIENTIFIC_RESEARCH (a d4h_sdk.purposes name) or an IRI",
    )
    for flag, field, text in _FACETS:
        parser.add_argument(flag, dest=field, action="append", metavar="VALUE", help=text)
    parser.add_argument("--min-records", type=int, metavar="N", help="at least N records")
    parser.add_argument("--limit", type=_common.positive_int, metavar="N", help="at most N datasets")
    parser.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    _common.add_connection_options(parser)
    parser.set_defaults(run=run_catalog)


def run_catalog(args: argparse.Namespace) -> int:
    """Run ``d4h catalog``; returns the exit code."""
    return _common.run_with_session("catalog", args, lambda s, out, err: _catalog(args, s, out, err))


def _catalog(args: argparse.Namespace, session: Session, out: Console, err: Console) -> int:
    facets: dict[str, Any] = {field: getattr(args, field) for _, field, _ in _FACETS if getattr(args, field)}
    if args.text:
        facets["text"] = args.text
    if args.min_records is not None:
        facets["min_records"] = args.min_records
    provider = _common.provider_of(args.provider_url, args.provider_id)
    hits = session.catalog.search(provider, purpose=args.purpose, limit=args.limit, strict=True, **facets)
    if args.json:
        print(json.dumps(hits.to_records(), indent=2, ensure_ascii=False))
        return _common.EXIT_OK
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        "id", "title", "category", "records", "access", "compatible", title=escape(provider.address)
    )
    for hit in hits:
        record = hit.to_record()
        table.add_row(
            escape(hit.id or "?"),
            escape(record["title"] or ""),
            escape(record["health_category"] or "-"),
            str(record["records"]) if record["records"] is not None else "-",
            escape(record["access_rights"] or "-"),
            _compatible(hit),
        )
    out.print(table)
    found = f"{len(hits)} dataset(s)"
    out.print(found if args.purpose is not None else f"{found}; pass --purpose to check the offers")
    return _common.EXIT_OK


def _compatible(hit: DatasetHit) -> str:
    """``yes`` (an offer permitted), ``undecided`` (the provider decides), ``no``, or ``-`` (no purpose)."""
    decision = hit.offers[0].decision if hit.offers else None
    if decision is None:
        return "-"
    outcome = decision.outcome.value
    return {"permitted": "[green]yes[/]", "undecided": "[yellow]undecided[/]"}.get(outcome, "[red]no[/]")
