"""Tensor.Art TAMS as the simulator serves it.

``service`` holds the endpoints, ``jobs`` planning and job objects, ``auth``
Bearer tokens and signed requests.
"""
