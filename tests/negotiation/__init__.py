"""Tests of offer selection and waiting."""
