"""Tests of the Session facade, its configuration and its services against the sandbox."""
