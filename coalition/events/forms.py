"""The event form: quick on a phone, everything else behind <details>."""

from __future__ import annotations

import functools
import importlib.resources
from datetime import UTC
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, Email, InputRequired, Length, NumberRange, Optional

from coalition.core.forms import Form
from coalition.events import operations as ops
from coalition.events.models import Event, EventVisibility, LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec, describe
from coalition.languages import CONTENT_LANGUAGES
from coalition.orgs.forms import MultiCheckboxField
from coalition.validators import PhoneNumber

#: Languages an event's text can be written in on the form.
TEXT_LANGUAGES = ["en", "es", "ht", "pt"]
COMMON_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
]  # fmt: skip
REMINDER_CHOICES = [
    ("default", _l("The coalition's default (1 day and 2 hours before)")),
    ("1440,120", _l("1 day and 2 hours before")),
    ("1440", _l("1 day before")),
    ("120", _l("2 hours before")),
    ("4320,1440,120", _l("3 days, 1 day and 2 hours before")),
    ("none", _l("No reminders")),
]
FREQUENCY_LABELS = {
    Frequency.none: _l("Does not repeat"),
    Frequency.weekly: _l("Weekly (or every few weeks)"),
    Frequency.monthly_date: _l("Monthly, on the same date"),
    Frequency.monthly_weekday: _l("Monthly, on the same weekday (e.g. every 4th Thursday)"),
    Frequency.quarterly_date: _l("Every three months, on the same date"),
    Frequency.quarterly_weekday: _l("Every three months, on the same weekday"),
}


#: Regions of the IANA database whose zones are places (not "Factory", "localtime", "Etc/GMT+5"
#: or links kept for old names such as "US/Eastern").
ZONE_REGIONS = ("America", "Europe", "Africa", "Asia", "Atlantic", "Pacific", "Australia", "Indian")


def _zone_label(zone: str) -> str:
    return zone.split("/", 1)[1].replace("_", " ").replace("/", " / ")


@functools.cache
def _place_zones() -> list[str]:
    """The zones of places people live (tzdata's zone.tab), not its links for old names."""
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    listed = {line.split("\t")[2] for line in table.splitlines() if line and line[0] != "#"}
    return sorted(
        zone for zone in listed & available_timezones()
        if zone.split("/", 1)[0] in ZONE_REGIONS and zone not in COMMON_ZONES
    )  # fmt: skip


def zone_choices(current: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Zones grouped by region, the usual US ones first; `current` kept when it is elsewhere."""
    places = _place_zones()
    groups: dict[str, list[tuple[str, str]]] = {
        str(_l("United States")): [(z, _zone_label(z)) for z in COMMON_ZONES]
    }
    for zone in places:
        groups.setdefault(zone.split("/", 1)[0], []).append((zone, _zone_label(zone)))
    if current and not any(current == z for group in groups.values() for z, _ in group):
        groups[str(_l("Other"))] = [(current, current)]
    return groups


class EventForm(Form):
    type_slug = SelectField(_l("Type"), choices=[], validators=[InputRequired()])
    primary_language = SelectField(
        _l("Main language"), choices=[(c, CONTENT_LANGUAGES[c]) for c in TEXT_LANGUAGES]
    )
    is_bilingual = BooleanField(_l("Bilingual: show two languages side by side"))
    #: The texts in the main language, whichever it is: choosing another main language never
    #: moves them (issue #14, finding 2). Other languages have title_<code> fields.
    title = StringField(
        _l("Title (in the main language)"), validators=[Optional(), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description (in the main language)"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: **bold**, *italic*, [link](https://...), lists."),
    )
    start_date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    end_date = DateField(_l("Last day (for events over several days)"), validators=[Optional()])
    is_all_day = BooleanField(_l("All day"))
    timezone = SelectField(_l("Time zone"), choices=[])
    frequency = SelectField(
        _l("Repeats"), choices=[(f.value, label) for f, label in FREQUENCY_LABELS.items()]
    )
    interval = IntegerField(
        _l("Every how many weeks or months"), default=1,
        validators=[Optional(), NumberRange(min=1, max=52)],
    )  # fmt: skip
    week_position = SelectField(
        _l("Which weekday of the month"),
        choices=[
            ("", _l("As on the first date")),
            ("1", _l("1st")),
            ("2", _l("2nd")),
            ("3", _l("3rd")),
            ("4", _l("4th")),
            ("-1", _l("Last")),
        ],
        validators=[Optional()],
    )
    ends = SelectField(
        _l("Ends"),
        choices=[
            ("count", _l("After a number of dates")),
            ("until", _l("On a date")),
            ("never", _l("Never (shown a year ahead)")),
        ],
        default="count",
    )
    count = IntegerField(_l("Number of dates"), default=6,
                         validators=[Optional(), NumberRange(min=1, max=500)])  # fmt: skip
    until = DateField(_l("Last date"), validators=[Optional()])
    venue = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    map_url = URLField(_l("Map link"), validators=[Optional(), URL(), Length(max=500)])
    online_url = URLField(_l("Online link"), validators=[Optional(), URL(), Length(max=500)])
    location_visibility = SelectField(
        _l("Who sees the place"),
        choices=[
            (LocationVisibility.public.value, _l("Everyone: the place is on every page and feed")),
            (
                LocationVisibility.attendees.value,
                _l("Attendees: anyone who signs up with a working email sees it (this stops "
                   "search engines, not a determined stranger)"),
            ),
            (
                LocationVisibility.hidden_until.value,
                _l("Hidden until some hours before the start, for everyone, attendees "
                   "included; then public"),
            ),
            (
                LocationVisibility.approved.value,
                _l("Approved attendees: you approve each RSVP, and only those you approve "
                   "ever see it"),
            ),
        ],
        description=_l("The town is always shown, so people know whether they can get there."),
    )  # fmt: skip
    location_reveal_hours = IntegerField(
        _l("Hours before the start"), validators=[Optional(), NumberRange(min=1, max=168)]
    )
    location_attendees_early = BooleanField(
        _l("Tell confirmed attendees the place as soon as they sign up"),
        description=_l("With 'hidden until': attendees see it at once, everyone else later."),
    )
    delegations_need_approval = BooleanField(
        _l("Delegations need our approval before anyone can join them")
    )
    languages = MultiCheckboxField(_l("Languages spoken"), choices=list(CONTENT_LANGUAGES.items()))
    has_interpretation = BooleanField(_l("Interpretation"))
    has_childcare = BooleanField(_l("Childcare"))
    has_rides = BooleanField(_l("Rides"))
    has_food = BooleanField(_l("Food"))
    accessibility_notes = TextAreaField(
        _l("Accessibility"), validators=[Optional(), Length(max=2000)]
    )
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Optional(), Length(max=1000)])
    contact_name = StringField(_l("Contact name"), validators=[Optional(), Length(max=120)])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Optional(), Length(max=40), PhoneNumber()],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    capacity = IntegerField(
        _l("Seats (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    has_waitlist = BooleanField(_l("Waitlist when full"), default=True)
    rsvp_opens_at = DateTimeLocalField(_l("RSVPs open"), validators=[Optional()])
    rsvp_closes_at = DateTimeLocalField(_l("RSVPs close"), validators=[Optional()])
    reminders = SelectField(_l("Reminders"), choices=REMINDER_CHOICES, default="default")
    delegations_by_organizers_only = BooleanField(_l("Only organizers may start delegations"))
    shows_going = BooleanField(
        _l("Show how many people are going on the public page"),
        description=_l("Off unless you choose it: a count can tell others how many will be "
                       "there. Only confirmed people count (the waitlist does not)."),
    )  # fmt: skip
    visibility = SelectField(
        _l("Who can find it"),
        choices=[
            (EventVisibility.public.value, _l("Everyone (public calendar)")),
            (EventVisibility.members.value, _l("Members of the coalition's organizations")),
            (EventVisibility.unlisted.value, _l("Only people with the link")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = str(get_locale() or "en")
        self.type_slug.choices = [(t.slug, t.name(language)) for t in ops.active_types()]
        if not self.timezone.data:
            self.timezone.data = current_app.config["COALITION_TIMEZONE"]
        self.timezone.choices = zone_choices(self.timezone.data)


def _add_text_fields() -> None:
    for code in TEXT_LANGUAGES:
        setattr(EventForm, f"title_{code}", StringField(
            _l("Title (%(language)s)", language=CONTENT_LANGUAGES[code]),
            validators=[Optional(), Length(max=200)],
        ))  # fmt: skip
        setattr(EventForm, f"description_{code}", TextAreaField(
            _l("Description (%(language)s)", language=CONTENT_LANGUAGES[code]),
            validators=[Optional(), Length(max=20000)],
            description=_l("Markdown: **bold**, *italic*, [link](https://...), lists."),
        ))  # fmt: skip
        setattr(EventForm, f"accessibility_notes_{code}", TextAreaField(
            _l("Accessibility (%(language)s)", language=CONTENT_LANGUAGES[code]),
            validators=[Optional(), Length(max=2000)],
        ))  # fmt: skip
        setattr(EventForm, f"what_to_bring_{code}", TextAreaField(
            _l("What to bring (%(language)s)", language=CONTENT_LANGUAGES[code]),
            validators=[Optional(), Length(max=1000)],
        ))  # fmt: skip


_add_text_fields()


def _local_to_utc(value, zone_name: str):
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def form_to_input(form: EventForm) -> ops.EventInput:
    texts = {}
    for code in TEXT_LANGUAGES:
        title = getattr(form, f"title_{code}").data or ""
        if title.strip():
            texts[code] = (title, getattr(form, f"description_{code}").data or "")
    if (form.title.data or "").strip():
        # The main-language fields win over a translation typed for the same language.
        texts[form.primary_language.data] = (form.title.data, form.description.data or "")
    translated_notes = {
        code: {name: getattr(form, f"{name}_{code}").data or "" for name in ops.TRANSLATED_NOTES}
        for code in texts
        if code != form.primary_language.data
    }
    frequency = Frequency(form.frequency.data)
    spec = RecurrenceSpec(
        frequency=frequency,
        interval=form.interval.data or 1,
        week_position=int(form.week_position.data) if form.week_position.data else None,
        count=form.count.data if form.ends.data == "count" else None,
        until=form.until.data if form.ends.data == "until" else None,
        open_ended=form.ends.data == "never",
    )
    if form.ends.data == "count" and form.count.data is None and frequency != Frequency.none:
        spec = RecurrenceSpec(frequency=frequency, interval=spec.interval,
                              week_position=spec.week_position)  # fmt: skip
    reminders = form.reminders.data
    offsets = None
    if reminders == "none":
        offsets = []
    elif reminders != "default":
        offsets = [int(x) for x in reminders.split(",")]
    zone = form.timezone.data
    return ops.EventInput(
        type_slug=form.type_slug.data,
        primary_language=form.primary_language.data,
        texts=texts,
        timezone=zone,
        start_date=form.start_date.data,
        start_time=form.start_time.data,
        end_date=form.end_date.data,
        end_time=form.end_time.data,
        is_all_day=form.is_all_day.data,
        recurrence=spec,
        is_bilingual=form.is_bilingual.data,
        venue=form.venue.data or None,
        address=form.address.data or None,
        city=form.city.data or None,
        map_url=form.map_url.data or None,
        online_url=form.online_url.data or None,
        location_visibility=LocationVisibility(form.location_visibility.data),
        location_reveal_hours=form.location_reveal_hours.data,
        location_attendees_early=form.location_attendees_early.data,
        delegations_need_approval=form.delegations_need_approval.data,
        languages=form.languages.data or [],
        has_interpretation=form.has_interpretation.data,
        has_childcare=form.has_childcare.data,
        has_rides=form.has_rides.data,
        has_food=form.has_food.data,
        accessibility_notes=form.accessibility_notes.data or None,
        what_to_bring=form.what_to_bring.data or None,
        contact_name=form.contact_name.data or None,
        contact_email=form.contact_email.data or None,
        contact_phone=form.contact_phone.data or None,
        capacity=form.capacity.data,
        has_waitlist=form.has_waitlist.data,
        rsvp_opens_at=_local_to_utc(form.rsvp_opens_at.data, zone),
        rsvp_closes_at=_local_to_utc(form.rsvp_closes_at.data, zone),
        reminder_offsets=offsets,
        delegations_by_organizers_only=form.delegations_by_organizers_only.data,
        shows_going=form.shows_going.data,
        visibility=EventVisibility(form.visibility.data),
        translated_notes=translated_notes,
    )


def event_to_form_data(event: Event) -> dict:
    """The form's values for an existing event (the edit form round-trips)."""
    zone = event.zone
    start, end = event.start_at.astimezone(zone), event.end_at.astimezone(zone)
    data = {
        "type_slug": event.type.slug,
        "primary_language": event.primary_language,
        "is_bilingual": event.is_bilingual,
        "start_date": start.date(),
        "start_time": None if event.is_all_day else start.time(),
        "end_time": None if event.is_all_day else end.time(),
        "end_date": (end.date() if not event.is_all_day else None)
        if end.date() != start.date()
        else None,
        "is_all_day": event.is_all_day,
        "timezone": event.timezone,
        "reminders": "default"
        if event.reminder_offsets is None
        else (
            "none"
            if event.reminder_offsets == []
            else ",".join(str(o) for o in event.reminder_offsets)
        ),
    }
    for name in ("venue", "address", "city", "map_url", "online_url", "location_reveal_hours",
                 "languages", "has_interpretation", "has_childcare", "has_rides", "has_food",
                 "accessibility_notes", "what_to_bring", "contact_name", "contact_email",
                 "contact_phone", "capacity", "has_waitlist", "location_attendees_early",
                 "delegations_by_organizers_only", "delegations_need_approval",
                 "shows_going"):  # fmt: skip
        data[name] = getattr(event, name)
    data["location_visibility"] = event.location_visibility.value
    data["visibility"] = event.visibility.value
    for name in ("rsvp_opens_at", "rsvp_closes_at"):
        value = getattr(event, name)
        data[name] = value.astimezone(zone).replace(tzinfo=None) if value else None
    for text in event.translations:
        prefix = "" if text.language == event.primary_language else f"_{text.language}"
        data[f"title{prefix}"] = text.title
        data[f"description{prefix}"] = text.description
        if prefix:
            data[f"accessibility_notes{prefix}"] = text.accessibility_notes
            data[f"what_to_bring{prefix}"] = text.what_to_bring
    data.update(_recurrence_data(event))
    return data


def _recurrence_data(event: Event) -> dict:
    if not event.rrule:
        return {"frequency": Frequency.none.value}
    parts = describe(event.rrule)
    interval = (parts.get("INTERVAL") or [1])[0]
    byday = parts.get("BYDAY")
    if parts["FREQ"][0] == "WEEKLY":
        frequency = Frequency.weekly
    elif interval == 3:
        frequency = Frequency.quarterly_weekday if byday else Frequency.quarterly_date
    else:
        frequency = Frequency.monthly_weekday if byday else Frequency.monthly_date
    data = {"frequency": frequency.value, "interval": interval if frequency == Frequency.weekly or
            not frequency.startswith("quarterly") else 1}  # fmt: skip
    if byday and frequency.endswith("_weekday"):
        position = str(byday[0])[:-2]
        data["week_position"] = position if position in {"1", "2", "3", "4", "-1"} else ""
    if "COUNT" in parts:
        data.update(ends="count", count=parts["COUNT"][0])
    elif "UNTIL" in parts:
        data.update(ends="until", until=parts["UNTIL"][0].astimezone(event.zone).date())
    else:
        data["ends"] = "never"
    return data


class OccurrenceForm(Form):
    start_date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    venue = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    map_url = URLField(_l("Map link"), validators=[Optional(), URL(), Length(max=500)])
    note = TextAreaField(_l("Note for this date"), validators=[Optional(), Length(max=2000)])
    capacity = IntegerField(
        _l("Seats for this date"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason (shown to the public and to attendees)"),
                           validators=[InputRequired(), Length(max=2000)])  # fmt: skip


class CosponsorInviteForm(Form):
    org = SelectField(_l("Organization"), choices=[], validators=[InputRequired()])


#: Languages an event type is named in, each with a `name_<code>` field (en and es required).
TYPE_NAME_LANGUAGES = ("en", "es", "ht", "pt")


class TypeForm(Form):
    slug = StringField(_l("Key (used in links)"), validators=[InputRequired(), Length(max=60)])
    name_en = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=80)])
    name_es = StringField(_l("Name in Spanish"), validators=[InputRequired(), Length(max=80)])
    name_ht = StringField(_l("Name in Haitian Creole"), validators=[Optional(), Length(max=80)])
    name_pt = StringField(_l("Name in Portuguese"), validators=[Optional(), Length(max=80)])


class ModerationSettingsForm(Form):
    events_require_approval = BooleanField(
        _l("Events of member organizations wait for an admin's approval before they are public")
    )
