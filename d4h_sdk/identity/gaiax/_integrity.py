"""The ``gx:integrity`` digest of Gaia-X compliance credentials.

``gx:integrity`` is ``"sha256-" + hex(SHA-256(UTF-8(JCS(credential))))``, JCS being RFC 8785
(:func:`d4h_sdk.identity._jcs.canonicalize`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from d4h_sdk.identity._jcs import canonicalize

__all__ = ["INTEGRITY_NORMALIZATION", "canonicalize", "gx_integrity"]

INTEGRITY_NORMALIZATION = "RFC8785:JCS"
"""The value of ``gx:integrityNormalization`` for a JCS-based ``gx:integrity``."""


def gx_integrity(document: Mapping[str, Any]) -> str:
    """Compute the ``gx:integrity`` value of a credential: ``sha256-<hex>`` over its JCS form.

    The compliance service hashes each credential of the presentation exactly as it received it (proof
    included); hash the same JSON you submitted.

    Args:
        document: The credential (or any JSON object).

    Returns:
        ``"sha256-"`` followed by 64 lowercase hex digits.

    Raises:
        EncodeError: The document is not I-JSON (see :func:`canonicalize`).
    """
    digest = hashlib.sha256(canonicalize(document).encode("utf-8")).hexdigest()
    return f"sha256-{digest}"
