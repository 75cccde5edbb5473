"""Helpers shared by the test folders: loopback servers, simulator configs, data paths."""
