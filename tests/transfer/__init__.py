"""Tests of d4h_sdk.transfer: the streaming Download against the sandbox data plane and a faulty server."""
