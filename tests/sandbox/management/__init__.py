"""Tests of the sandbox's EDC Management API facades (consumer over DspConnector, provider publishing)."""
