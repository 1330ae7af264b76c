"""Connector backends behind one :class:`Connector` protocol.

- :class:`EdcConnector`: the participant's own Eclipse EDC over its Management API (v3 for EDC 0.14,
  v4 for EDC 0.17+), with x-api-key or OAuth2.
- :class:`DspConnector`: the SDK speaking the Dataspace Protocol (2025-1, 2024-1) straight to a provider,
  with an embedded callback receiver and DCP self-issued token auth.
"""

from __future__ import annotations

from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.connectors._edc import EdcConnector
from d4h_sdk.connectors._protocol import ChangeNotifier, Connector, PublishingConnector
from d4h_sdk.connectors._types import (
    DSP_2024_1,
    DSP_2025_1,
    CatalogPage,
    NegotiationStatus,
    Provider,
    Publication,
    PublishedAsset,
    TransferStatus,
)

__all__ = [
    "DSP_2024_1",
    "DSP_2025_1",
    "CatalogPage",
    "ChangeNotifier",
    "Connector",
    "DspConnector",
    "EdcConnector",
    "NegotiationStatus",
    "Provider",
    "Publication",
    "PublishedAsset",
    "PublishingConnector",
    "TransferStatus",
]
