"""super.AI jobs as the simulator serves them: ``service`` (the endpoints, lifecycles and outputs)."""
