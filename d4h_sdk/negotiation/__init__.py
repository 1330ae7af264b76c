"""Contract negotiation: offer selection for a declared purpose, negotiate / wait / terminate / resume.

Use it through ``session.negotiations``; :class:`Contract` is what a finished negotiation gives you.
"""

from __future__ import annotations

from d4h_sdk.negotiation._contract import Contract
from d4h_sdk.negotiation._select import declare_purpose, requested_offer, select_offer
from d4h_sdk.negotiation._service import Negotiations, ProcessExporter
from d4h_sdk.negotiation._wait import PollPolicy, WaitOutcome, send_unless_refused, wait_for

__all__ = [
    "Contract",
    "Negotiations",
    "PollPolicy",
    "ProcessExporter",
    "WaitOutcome",
    "declare_purpose",
    "requested_offer",
    "select_offer",
    "send_unless_refused",
    "wait_for",
]
