"""The embedded sandbox data space: a real Dataspace Protocol peer on loopback.

The sandbox is built from the SDK's own models, wire codecs, identity and policy code. Its parts are
private modules (``_http_server``, ``_authority``, ``_participants``, ...) that serve HTTP on
``127.0.0.1`` with werkzeug (extra ``[sandbox]``); werkzeug is imported only when one of them is, never by
``import d4h_sdk`` or ``import d4h_sdk.sandbox``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d4h_sdk.sandbox._faults import (
        CallbackDelay,
        DropConnections,
        ErrorBurst,
        FaultPlan,
        Latency,
        SlowBody,
    )
    from d4h_sdk.sandbox._sandbox import Sandbox

__all__ = ["CallbackDelay", "DropConnections", "ErrorBurst", "FaultPlan", "Latency", "Sandbox", "SlowBody"]

_LAZY = {
    "Sandbox": "d4h_sdk.sandbox._sandbox",
    "FaultPlan": "d4h_sdk.sandbox._faults",
    "Latency": "d4h_sdk.sandbox._faults",
    "ErrorBurst": "d4h_sdk.sandbox._faults",
    "DropConnections": "d4h_sdk.sandbox._faults",
    "SlowBody": "d4h_sdk.sandbox._faults",
    "CallbackDelay": "d4h_sdk.sandbox._faults",
}


def __getattr__(name: str) -> Any:
    """Load :class:`Sandbox` and the fault rules (with werkzeug and the identity stack) on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'd4h_sdk.sandbox' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
