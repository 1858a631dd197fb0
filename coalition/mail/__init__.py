"""Outgoing email: queued as rows in the request's transaction, delivered by the worker."""
