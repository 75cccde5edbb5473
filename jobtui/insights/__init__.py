"""Insights over the store: failures grouped by cause, and per-provider statistics.

Pure functions over ``WatchedJob`` and ``Transition`` records: no I/O, no
Textual. The command line (``jobtui errors``, ``jobtui stats``) and the
dashboard read the store and hand the records here.
"""
