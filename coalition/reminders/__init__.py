"""Scheduled reminders: rows with a due time, turned into email by the worker."""
