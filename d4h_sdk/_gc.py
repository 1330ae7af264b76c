"""Pausing the cyclic garbage collector while a decoder allocates many objects that all survive.

Decoding a large catalog creates hundreds of thousands of containers; each one can trigger a generation-0
collection that then scans the young, still-growing tree, which costs more than the decoding itself. None of
these objects are garbage, so the collector has nothing to find until decoding ends. Reference counting still
frees everything as usual; only the cycle collector waits, and it runs again as soon as the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC for the block, unless the caller already did; restore it afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
