"""Declarations of the hot-spot analysis layers (being built)."""
