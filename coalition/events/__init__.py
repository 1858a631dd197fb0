"""Events: posting, recurrence, co-sponsors, location privacy, the public calendar."""
