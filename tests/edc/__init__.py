"""Integration tests against real Eclipse EDC runtimes (pytest marker ``edc``)."""
