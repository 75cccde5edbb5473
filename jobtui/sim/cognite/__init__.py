"""Cognite vision jobs as the simulator serves them: ``service`` (the endpoints), ``jobs`` (files, batches, results), ``auth`` (the OIDC token endpoint)."""
