"""Cognite vision jobs as the simulator serves them.

``service`` holds the endpoints, ``jobs`` files, batches and results, ``auth``
the OIDC token endpoint.
"""
