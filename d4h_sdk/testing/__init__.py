"""Test helpers shipped with the SDK: a fake signer and the signing-backend conformance suite.

``SignerContract`` needs pytest (a test dependency); importing this package imports pytest.
"""

from __future__ import annotations

from d4h_sdk.testing._fakes import FakeSigner
from d4h_sdk.testing._signer_contract import SignerContract

__all__ = ["FakeSigner", "SignerContract"]
