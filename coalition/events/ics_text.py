"""The one way a TEXT value (RFC 5545 §3.3.11) enters a calendar we write.

`text(value)` makes the icalendar `vText` that escapes backslash, semicolon, comma and newline
when the calendar is written. Every TEXT property (SUMMARY, DESCRIPTION, LOCATION, NAME,
X-WR-CALNAME, X-WR-CALDESC and the sessions' own) goes through it, so none is written raw: icalendar
knows SUMMARY is TEXT but writes properties it has no type for (NAME, X-WR-CALNAME) as they come,
and a reader then cuts "Ñandú; café, pan" at the comma.
"""

from __future__ import annotations

from icalendar import vText


def text(value: object) -> vText:
    """`value` as an iCalendar TEXT value, escaped when written."""
    return vText(str(value))
