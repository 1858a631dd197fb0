"""Coalition-wide settings that admins change at run time (stored in the database)."""
