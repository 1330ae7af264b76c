"""The embedded sandbox data space: a real Dataspace Protocol peer on loopback.

The sandbox is built from the SDK's own models, wire codecs, identity and policy code. Its parts are
private modules (``_http_server``, ``_authority``, ``_participants``, ...) that serve HTTP on
``127.0.0.1`` with werkzeug (extra ``[sandbox]``); werkzeug is imported only when one of them is, never by
``import d4h_sdk`` or ``import d4h_sdk.sandbox``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from d4h_sdk.sandbox._sandbox import Sandbox

__all__ = ["Sandbox"]


def __getattr__(name: str) -> Any:
    """Load :class:`Sandbox` (and with it werkzeug and the identity stack) on first use."""
    if name == "Sandbox":
        from d4h_sdk.sandbox._sandbox import Sandbox

        return Sandbox
    raise AttributeError(f"module 'd4h_sdk.sandbox' has no attribute {name!r}")
