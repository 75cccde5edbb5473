"""Image Intelligence v2 as the simulator serves it: ``service`` (the endpoints), ``jobs`` (how jobs are drawn and read)."""
