"""Benchmarks at city scale: ``python -m benchmarks`` runs them all (see ``__main__``).

The ``bench_*.py`` scripts measure one topic each, in more detail.
"""
