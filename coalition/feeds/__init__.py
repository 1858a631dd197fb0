"""iCalendar feeds: the whole calendar, one organization, one event, private feeds."""
