"""Transfers: getting the data of an agreement.

:class:`Transfers` is ``session.transfers``: ``pull`` (an EDR cached per agreement, then a :class:`Download`),
``push``, and ``start`` / ``get`` / ``wait`` / ``suspend`` / ``resume`` / ``complete`` / ``terminate``.

:class:`Download` streams what an endpoint data reference (EDR) points at, to a file, to memory, as an
iterator or into pandas: it resumes a broken download with HTTP Range requests, verifies the provider's
``Repr-Digest`` (RFC 9530) or ``Digest`` (RFC 3230), writes to a temporary file that is renamed only once
verified, enforces a size cap and reports progress.

```python
from d4h_sdk.transfer import Download

with Download(edr, http=http, progress=lambda done, total: print(done, total)) as download:
    path = download.to_file("cohort.csv")
    print(download.checksum, download.sha256, download.verified)
```
"""

from __future__ import annotations

import typing as _typing

from d4h_sdk.transfer._download import DEFAULT_READ_BYTES_LIMIT, Download

if _typing.TYPE_CHECKING:
    from d4h_sdk.transfer._service import PULL, PUSH, Transfers

__all__ = ["DEFAULT_READ_BYTES_LIMIT", "PULL", "PUSH", "Download", "Transfers"]


def __getattr__(name: str) -> _typing.Any:
    # The service needs the connectors (requests, pydantic); the Download class alone does not.
    if name in ("PULL", "PUSH", "Transfers"):
        from d4h_sdk.transfer import _service

        return getattr(_service, name)
    raise AttributeError(f"module 'd4h_sdk.transfer' has no attribute {name!r}")
