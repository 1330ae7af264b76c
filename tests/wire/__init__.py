"""Conformance and property tests of the wire layer (d4h_sdk.wire, d4h_sdk.models)."""
