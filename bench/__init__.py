"""jobtui's benchmarks: ``python -m bench`` (``make bench``) runs them all.

Each module is also a script of its own (``python -m bench.sweep``). The
numbers are for people: every comparison alternates its sides over several
rounds in one run and reports medians; tests never assert times.
"""
