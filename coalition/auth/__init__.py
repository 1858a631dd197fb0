"""Accounts: sign-in, password reset, profile."""
