"""The one place that imports pandas (lazily, inside a function: extra ``[pandas]``)."""

from __future__ import annotations

from typing import Any

__all__ = ["pandas"]


def pandas() -> Any:
    """Import and return the pandas module.

    Raises:
        ConfigurationError: pandas is not installed.
    """
    try:
        import pandas as pd  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - pandas is part of [dev]
        from d4h_sdk.errors import ConfigurationError

        raise ConfigurationError("this function needs pandas: pip install 'd4h-sdk[pandas]'") from exc
    return pd
