"""A job's result as lazy tree nodes: the generic nodes and one module per provider kind."""
