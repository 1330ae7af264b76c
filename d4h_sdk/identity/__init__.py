"""Identity and trust: signing backends, JOSE, did:web, DCP, Verifiable Credentials, Gaia-X, API auth.

Submodules load their heavy dependencies (jwcrypto, cryptography, pyld) on first use.
"""

from __future__ import annotations

from d4h_sdk.identity.signing._protocol import Signer

__all__ = ["Signer"]
