"""``d4h demo``: the whole flow on an embedded sandbox, as a researcher, in a few seconds.

1. start the sandbox data space (a hospital provider, a research lab, a dataspace authority);
2. list the hospital's health datasets (title, health category, records, access rights, policy summary);
3. declare an EHDS purpose and show the local policy check of the chosen offer;
4. negotiate (each state printed as it happens);
5. pull the data with a progress bar, verify the checksum, load it into pandas, print HbA1c by type;
6. show a refused request: a purpose EHDS Art 54 prohibits, and the provider's reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import D4HError, NegotiationTerminatedError

if TYPE_CHECKING:
    from rich.console import Console

    from d4h_sdk.models import Offer
    from d4h_sdk.session import Session

__all__ = ["register", "run_demo"]

_DATASET = "diabetes-sample"


def register(commands: Any) -> None:
    """Add the ``demo`` command to the ``d4h`` sub-parsers."""
    demo = commands.add_parser("demo", help="run the whole flow on an embedded sandbox (about 5 s)")
    demo.add_argument(
        "--backend", choices=("edc", "dsp"), default="edc", help="connector backend (default edc)"
    )
    demo.add_argument("--patients", type=int, default=300, help="patients in each synthetic cohort")
    demo.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    demo.set_defaults(run=run_demo)


def _label(iri: object) -> str:
    if not isinstance(iri, str) or not iri:
        return "-"
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def _policy_summary(offer: Offer) -> str:
    """A one-line summary of an offer: what it requires, and how many purposes it prohibits."""
    required = sorted({_label(c.left_operand) for rule in offer.permission for c in _atoms(rule.constraint)})
    banned = sum(
        len(c.right_operand) if isinstance(c.right_operand, (list, tuple)) else 1
        for rule in offer.prohibition
        for c in _atoms(rule.constraint)
    )
    parts = [f"requires {', '.join(required)}"] if required else []
    if banned:
        parts.append(f"prohibits {banned} purposes")
    return "; ".join(parts) or "no constraints"


def _verdict(hit: Any) -> str:
    """The local check of the hit's best offer: yes, needs evidence the lab lacks (e.g. a permit), or no."""
    decision = hit.offers[0].decision if hit.offers else None
    outcome = decision.outcome.value if decision is not None else "undecided"
    return {"permitted": "[green]yes[/]", "undecided": "[yellow]needs permit/DAC[/]"}.get(
        outcome, "[red]no[/]"
    )


def _atoms(constraints: Any) -> list[Any]:
    found: list[Any] = []
    for item in constraints:
        nested = [*getattr(item, "and_", ()), *getattr(item, "or_", ()), *getattr(item, "xone", ())]
        found.extend(_atoms(nested) if nested else [item])
    return found


def _console() -> Console:
    try:
        from rich.console import Console
    except ImportError as exc:  # pragma: no cover - rich is in the [cli] and [dev] extras
        raise SystemExit("d4h demo needs rich and pandas: pip install 'd4h-sdk[cli]'") from exc
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code (0 when every step behaved as expected)."""
    console = _console()
    started = time.perf_counter()
    try:
        _demo(console, backend=args.backend, patients=args.patients, seed=args.seed)
    except D4HError as exc:
        console.print(f"[bold red]demo failed:[/] {exc}")
        return 1
    console.print(f"\n[bold green]Demo finished in {time.perf_counter() - started:.1f} s.[/]")
    return 0


def _demo(console: Console, *, backend: str, patients: int, seed: int) -> None:
    from rich.table import Table

    from d4h_sdk import purposes
    from d4h_sdk.sandbox import Sandbox
    from d4h_sdk.session import Session

    console.rule("[bold]1. A sandbox data space on this machine")
    with Sandbox(seed=seed, patients=patients) as sandbox:
        console.print(
            f"Started in {sandbox.start_s:.2f} s: provider [cyan]{sandbox.provider.did}[/] at "
            f"{sandbox.provider_url}"
        )
        with Session.sandbox(sandbox, participant="research-lab", backend=backend) as session:  # type: ignore[arg-type]
            console.print(
                f"You are [cyan]{session.identity.participant_id}[/] (a research lab), through the "
                f"{session.connector.kind} backend"
            )
            console.rule("[bold]2. The hospital's health datasets")
            research = purposes.SCIENTIFIC_RESEARCH
            hits = session.catalog.search(session.default_provider, purpose=research)  # type: ignore[arg-type]
            table = Table("dataset", "title", "category", "records", "access", "policy", "research?")
            for hit in hits:
                record = hit.to_record()
                offer = hit.best_offer or (hit.dataset.offers[0] if hit.dataset.offers else None)
                table.add_row(
                    hit.dataset.id or "?",
                    record["title"] or hit.dataset.title_text() or "",
                    record["health_category"] or "-",
                    str(record["records"] or "-"),
                    record["access_rights"] or "-",
                    _policy_summary(offer) if offer else "-",
                    _verdict(hit),
                )
            console.print(table)
            target = next(hit for hit in hits if hit.dataset.id == _DATASET)
            _negotiate_and_pull(console, session, target, research)
            _refused(console, session, target)


def _negotiate_and_pull(console: Console, session: Session, target: Any, research: Any) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from d4h_sdk.policy import evaluate

    console.rule(f"[bold]3. Purpose: {research.label} — local policy check")
    offer = target.best_offer
    decision = evaluate(offer, claims=session.identity.claims, purpose=research)
    console.print(
        f"Offer [cyan]{offer.id}[/] for [cyan]{target.dataset.id}[/]: [bold]{decision.outcome.value}[/]"
    )
    console.print(decision.explain())

    console.rule("[bold]4. Contract negotiation")
    started = time.perf_counter()
    contract = session.negotiations.negotiate(
        target,
        purpose=research,
        on_state=lambda status: console.print(
            f"  {time.perf_counter() - started:6.3f} s  negotiation [bold]{status.state.value}[/]"
        ),
    )
    console.print(f"Agreement [cyan]{contract.id}[/]")

    console.rule("[bold]5. Transfer (HTTP pull with an EDR token)")
    with tempfile.TemporaryDirectory(prefix="d4h-demo-") as folder:
        path = Path(folder) / f"{target.dataset.id}.csv"
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("download", total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            with session.transfers.pull(contract, progress=progress) as download:
                download.to_file(path)
                checksum = download.checksum
        console.print(
            f"Saved {path.stat().st_size} bytes; provider checksum {checksum or '-'} [green]verified[/]"
        )
        import pandas as pd  # type: ignore[import-untyped]

        frame = pd.read_csv(path)
    console.rule("[bold]6. A small clinical summary (pandas)")
    latest = frame.sort_values("visit_number").groupby("patient_id").tail(1)
    summary = latest.groupby("diabetes_type").agg(
        patients=("patient_id", "nunique"),
        hba1c_percent=("hba1c_percent", "mean"),
        hba1c_mmol_mol=("hba1c_mmol_mol", "mean"),
        bmi=("bmi", "mean"),
    )
    console.print("Last visit per patient, mean by diabetes type:")
    console.print(summary.round(1).to_string())


def _refused(console: Console, session: Session, target: Any) -> None:
    from d4h_sdk import purposes

    banned = purposes.ADVERTISING
    console.rule(f"[bold]7. A refused request: purpose {banned.label}")
    from d4h_sdk.errors import PolicyMismatchError

    try:
        session.negotiations.start(target, purpose=banned)
    except PolicyMismatchError as exc:
        console.print("[yellow]The local check refuses it before anything is sent:[/]")
        console.print(str(exc).splitlines()[0])
    console.print("Sending it anyway (offer chosen explicitly, local check skipped) to hear the provider:")
    offer_id = target.dataset.offers[0].id
    try:
        session.negotiations.negotiate(target, purpose=banned, offer_id=offer_id, timeout=30)
    except NegotiationTerminatedError as exc:
        code = f" (code {exc.code})" if exc.code else ""
        console.print(f"[red]The provider terminated the negotiation{code}:[/]")
        for line in exc.reason:
            console.print(f"  {line}")
    else:
        console.print("[bold red]the provider accepted a prohibited purpose[/]")
        sys.exit(1)
