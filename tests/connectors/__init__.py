"""Tests of the connector backends (EDC and direct DSP)."""
