"""Declarations of the coverage-gap analysis layers (being built)."""
