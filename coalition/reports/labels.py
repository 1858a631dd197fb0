"""The words of reports (one place, so pages, CSV and the chart say the same)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TOTALS = {
    "dates": _l("Dates held"),
    "bilingual_dates": _l("Of them bilingual or in several languages"),
    "rsvps": _l("RSVPs"),
    "people": _l("People confirmed (with their guests)"),
    "checked_in_people": _l("People checked in (with their guests)"),
    "checked_in": _l("RSVPs checked in"),
    "no_shows": _l("Confirmed but not checked in"),
    "walk_ins": _l("Walk-ins"),
    "cancelled": _l("Cancellations"),
    "waitlisted": _l("RSVPs that waited for a seat"),
    "promoted": _l("Of them given a seat"),
    "still_waiting": _l("Still waiting at the end"),
    "series_rsvps": _l("RSVPs from series registrations"),
    "delegations": _l("Delegations"),
    "reminders_sent": _l("Reminders sent"),
    "emails_sent": _l("Emails sent"),
    "texts_sent": _l("Text messages sent"),
}
BREAKDOWNS = {
    "month": _l("People confirmed, by month"),
    "language": _l("People confirmed, by language"),
    "needs": _l("Needs asked for (RSVPs)"),
    "organization": _l("People in delegations, by organization"),
    "town": _l("People in delegations, by town"),
    "signups": _l("Sign-ups, by days before the date"),
}
NEEDS = {
    "interpretation": _l("Interpretation"),
    "childcare": _l("Childcare"),
    "ride": _l("A ride"),
}
SIGNUPS = {
    "30+": _l("30 days or more"),
    "14-29": _l("14 to 29 days"),
    "7-13": _l("7 to 13 days"),
    "2-6": _l("2 to 6 days"),
    "1": _l("The day before"),
    "0": _l("The same day"),
}


def row_label(breakdown: str, key: str) -> str:
    if breakdown == "needs":
        return str(NEEDS.get(key, key))
    if breakdown == "signups":
        return str(SIGNUPS.get(key, key))
    return key
