"""Tensor.Art TAMS as the simulator serves it: ``service`` (the endpoints), ``jobs`` (planning and job objects), ``auth`` (Bearer and signed requests)."""
