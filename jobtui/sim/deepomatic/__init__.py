"""Deepomatic v0.7 tasks as the simulator serves them (``service``)."""
