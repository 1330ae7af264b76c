"""Tests of d4h_sdk.store: the in-memory and SQLite stores."""
