"""super.AI jobs as the simulator serves them (``service``)."""
