"""Two processes share one SqliteStore file: one writes while the other reads and writes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from d4h_sdk.store import SqliteStore, TransferRecord

from .conftest import negotiation

WRITER = """
import sys
from d4h_sdk.store import SqliteStore, TransferRecord

with SqliteStore(sys.argv[1]) as store:
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        store.put_transfer(TransferRecord(
            id=f"child-{i}", backend="dsp", agreement_id="agr-child", provider_address="https://p.example/dsp",
            provider_id=None, transfer_type="HttpData-PULL", state="STARTED", created_at=float(i),
            updated_at=float(i), extra={"i": i}))
"""


def test_a_writer_process_and_a_reader_process(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    count = 300
    with SqliteStore(path) as store:
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        seen: list[int] = []
        deadline = time.monotonic() + 60
        i = 0
        while child.poll() is None and time.monotonic() < deadline:
            store.put_negotiation(negotiation(f"parent-{i}", created_at=float(i)))
            seen.append(len(store.list_transfers(agreement_id="agr-child")))
            i += 1
        _, errors = child.communicate(timeout=60)
        assert child.returncode == 0, errors
        assert i > 1 and seen[0] < count  # the two processes really ran side by side
        assert seen == sorted(seen)  # the reader only ever sees committed, growing state
        transfers = store.list_transfers(agreement_id="agr-child")
        assert len(transfers) == count
        assert transfers[-1] == TransferRecord(
            id=f"child-{count - 1}", backend="dsp", agreement_id="agr-child",
            provider_address="https://p.example/dsp", provider_id=None, transfer_type="HttpData-PULL",
            state="STARTED", created_at=float(count - 1), updated_at=float(count - 1), extra={"i": count - 1},
        )  # fmt: skip
        assert len(store.list_negotiations()) == i
