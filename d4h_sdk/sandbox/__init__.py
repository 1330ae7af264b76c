"""The embedded sandbox data space: a real Dataspace Protocol peer on loopback.

The sandbox is built from the SDK's own models, wire codecs, identity and policy code. Its parts are
private modules (``_http_server``, ``_authority``, ``_participants``, ...) that serve HTTP on
``127.0.0.1`` with werkzeug (extra ``[sandbox]``); werkzeug is imported only when one of them is, never by
``import d4h_sdk`` or ``import d4h_sdk.sandbox``.
"""

from __future__ import annotations
