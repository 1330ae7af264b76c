"""Verification errors specific to JOSE processing; they live in :mod:`d4h_sdk.errors` with the others."""

from __future__ import annotations

from d4h_sdk.errors import InvalidClaimsError, MalformedTokenError, ReplayedTokenError

__all__ = ["InvalidClaimsError", "MalformedTokenError", "ReplayedTokenError"]
