"""Benchmarks, measured side by side with peers in one run (``make bench``).

Each module in this package with a ``run(quick: bool) -> list[Table]`` function is a benchmark.
``python -m bench`` runs them all (``python -m bench parse session`` runs some) and prints one
table each: our figure, the peer's figure measured in the same run, and the ratio.  Nothing here
asserts on time; tests never measure speed.
"""
