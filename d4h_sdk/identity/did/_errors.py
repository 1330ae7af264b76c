"""Errors of the DID layer; they live in :mod:`d4h_sdk.errors` with the others."""

from __future__ import annotations

from d4h_sdk.errors import DidResolutionError, VerificationMethodError

__all__ = ["DidResolutionError", "VerificationMethodError"]
