"""Rapid response: a roster of trained responders, alerts that reach them at once, their answers."""
