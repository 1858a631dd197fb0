"""Backups of the database, checked by restoring them, and the keys each one needs.

`operations.py` makes, checks and restores backups (`flask backup ...`); `databases.py` holds what
differs between PostgreSQL and SQLite; `keys.py` tells which key opens which stored value, by
fingerprint. README: "Backups and keys".
"""
