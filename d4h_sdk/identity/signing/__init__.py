"""Signing backends behind one :class:`Signer` protocol, with a registry of named backends.

Importing this package loads neither ``cryptography`` nor ``jwcrypto``: backends import them on first use.
"""

from __future__ import annotations

from d4h_sdk.identity.signing._der import ecdsa_der_to_jose, jose_to_ecdsa_der
from d4h_sdk.identity.signing._local import LocalKeySigner, generate_key
from d4h_sdk.identity.signing._protocol import Signer
from d4h_sdk.identity.signing._registry import (
    available_signers,
    load_signer,
    register_signer,
    resolve_signer,
    unregister_signer,
)
from d4h_sdk.identity.signing._vault import VaultTransitSigner

__all__ = [
    "LocalKeySigner",
    "Signer",
    "VaultTransitSigner",
    "available_signers",
    "ecdsa_der_to_jose",
    "generate_key",
    "jose_to_ecdsa_der",
    "load_signer",
    "register_signer",
    "resolve_signer",
    "unregister_signer",
]
