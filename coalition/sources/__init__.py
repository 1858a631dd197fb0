"""Member organizations' and partner coalitions' calendars flowing in (issue #28)."""
