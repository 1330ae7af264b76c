"""Publishing as a provider: typed health datasets -> asset + policy definition + contract definition.

Use it through ``session.provider``.
"""

from __future__ import annotations

from d4h_sdk.provider._service import ProviderClient

__all__ = ["ProviderClient"]
