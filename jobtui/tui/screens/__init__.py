"""The dashboard's screens and modals."""
