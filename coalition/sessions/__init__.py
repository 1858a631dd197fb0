"""Sessions of a date (workshops, breakouts, tracks) and series registration."""
