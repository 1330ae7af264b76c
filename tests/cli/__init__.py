"""Tests of the ``d4h`` command: catalog, negotiate, negotiations, fetch (against the sandbox)."""
