"""Where the dashboard's jobs come from: the engine's events, the store, whole payloads, toasts."""
