"""jobtui — a terminal dashboard for asynchronous vision-AI jobs."""

__version__ = "0.1.0"
