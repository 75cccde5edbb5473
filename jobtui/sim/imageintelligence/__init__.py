"""Image Intelligence v2 as the simulator serves it.

``service`` holds the endpoints, ``jobs`` how jobs are drawn and read.
"""
