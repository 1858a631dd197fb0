"""Demo data for `make run`: a believable statewide coalition (idempotent)."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import TH, relativedelta
from flask import current_app

from coalition.auth.models import User
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import TravelMode
from coalition.events import lifecycle as event_lifecycle
from coalition.events import operations as event_ops
from coalition.events.models import Event, EventTranslation, LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.events.types import ensure_default_types
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus
from coalition.rsvps import operations as rsvp_ops

DEMO_PASSWORD = "demo-password"

USERS = [
    # email, name, language, is_admin
    ("admin@example.org", "Rosa (coalition admin)", "en", True),
    ("owner@example.org", "Marisol (owner, Valley Workers Center)", "es", False),
    ("organizer@example.org", "Jean (organizer, Haitian Community Partners)", "en", False),
    ("member@example.org", "Ana (member)", "es", False),
    ("applicant@example.org", "Tom (applicant)", "en", False),
]

ORGS = [
    {
        "slug": "valley-workers-center",
        "name": "Valley Workers Center",
        "city": "Northampton",
        "description": (
            "A worker center run by its members. We run a 24-hour rapid response hotline, "
            "know-your-rights trainings and the Sanctuary in the Streets network."
        ),
        "website": "https://valleyworkers.example.org",
        "contact_email": "info@valleyworkers.example.org",
        "contact_phone": "+14135550142",
        "languages": ["es", "en"],
        "color": "#b03a2e",
        "status": OrgStatus.active,
        "people": [("owner@example.org", OrgRole.owner), ("member@example.org", OrgRole.member)],
    },
    {
        "slug": "haitian-community-partners",
        "name": "Haitian Community Partners",
        "city": "Boston",
        "description": "Organizing for TPS and immigrant rights in the Haitian community.",
        "contact_email": "hello@hcp.example.org",
        "languages": ["ht", "en", "fr"],
        "color": "#1f618d",
        "status": OrgStatus.active,
        "people": [("organizer@example.org", OrgRole.organizer)],
    },
    {
        "slug": "worcester-immigrant-coalition",
        "name": "Worcester Immigrant Coalition",
        "city": "Worcester",
        "description": "We meet every 4th Thursday of the month. Todos son bienvenidos.",
        "languages": ["en", "es", "pt"],
        "color": "#117a65",
        "status": OrgStatus.active,
        "people": [("owner@example.org", OrgRole.organizer)],
    },
    {
        "slug": "local-615-janitors",
        "name": "Janitors Union Local 615",
        "city": "Boston",
        "description": "Building service workers. We bring a bus to every May Day march.",
        "languages": ["en", "es", "pt"],
        "color": "#7d3c98",
        "status": OrgStatus.active,
        "people": [("organizer@example.org", OrgRole.owner)],
    },
    {
        "slug": "student-immigrant-movement",
        "name": "Student Immigrant Movement",
        "city": "Boston",
        "description": "Undocumented youth organizing across Massachusetts.",
        "languages": ["en", "es"],
        "color": "#ca6f1e",
        "status": OrgStatus.pending,
        "people": [("applicant@example.org", OrgRole.owner)],
    },
]


def _user(email: str, name: str, language: str, is_admin: bool) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, language=language, is_admin=is_admin)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    return user


def seed() -> list[tuple[str, str]]:
    """Create what is missing; return (role, email) pairs to print."""
    users = {email: _user(email, name, lang, adm) for email, name, lang, adm in USERS}
    db.session.flush()
    for spec in ORGS:
        spec = dict(spec)
        people = spec.pop("people")
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == spec["slug"]))
        if org is None:
            org = Organization(**spec)
            db.session.add(org)
            db.session.flush()
        for email, role in people:
            if org.role_of(users[email]) is None:
                org.memberships.append(Membership(user=users[email], role=role))
    db.session.flush()
    seed_events(users)
    seed_open_meeting()
    seed_rapid_response()
    return [
        ("coalition admin", "admin@example.org"),
        ("org owner, dispatcher", "owner@example.org"),
        ("org organizer", "organizer@example.org"),
        ("org member", "member@example.org"),
        ("applicant (pending org)", "applicant@example.org"),
    ]


def _org(slug: str) -> Organization:
    return db.session.scalar(sa.select(Organization).where(Organization.slug == slug))


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _demo_events(today: date) -> list[dict]:
    """The demo calendar, relative to today so that it always looks current."""
    may_day = date(today.year + (1 if (today.month, today.day) >= (5, 1) else 0), 5, 1)
    fourth_thursday = today + relativedelta(day=1, weekday=TH(4))
    if fourth_thursday < today:
        fourth_thursday = today + relativedelta(months=1, day=1, weekday=TH(4))
    # The second Sunday of March: the US spring-forward date in the coming year.
    dst_year = today.year + 1 if today.month >= 3 else today.year
    spring_forward = date(dst_year, 3, 1) + relativedelta(weekday=6) + timedelta(days=7)
    return [
        {
            "org": "local-615-janitors",
            "by": "organizer@example.org",
            "cosponsors": [
                "valley-workers-center",
                "haitian-community-partners",
                "worcester-immigrant-coalition",
            ],
            "data": {
                "type_slug": "march",
                "primary_language": "en",
                "is_bilingual": True,
                "texts": {
                    "en": (
                        "May Day March for Immigrant Workers",
                        "We march from the Common to "
                        "City Hall. **Bring your union shirt and your family.**",
                    ),
                    "es": (
                        "Marcha del Primero de Mayo",
                        "Marchamos del Common a la Alcaldía. "
                        "**Trae tu camiseta del sindicato y a tu familia.**",
                    ),
                },
                "start_date": may_day,
                "start_time": time(11, 0),
                "end_time": time(15, 0),
                "venue": "Boston Common, Parkman Bandstand",
                "address": "139 Tremont St",
                "city": "Boston",
                "map_url": "https://www.openstreetmap.org/?mlat=42.355&mlon=-71.065",
                "languages": ["en", "es", "pt", "ht"],
                "has_interpretation": True,
                "has_food": True,
                "has_rides": True,
                "accessibility_notes": "The route is flat; a van follows the march.",
            },
        },
        {
            "org": "worcester-immigrant-coalition",
            "by": "owner@example.org",
            "data": {
                "type_slug": "meeting",
                "primary_language": "en",
                "texts": {
                    "en": (
                        "Coalition monthly meeting",
                        "Every 4th Thursday. Todos son bienvenidos; Spanish interpretation.",
                    )
                },
                "start_date": fourth_thursday,
                "start_time": time(18, 30),
                "end_time": time(20, 30),
                "recurrence": RecurrenceSpec(
                    Frequency.monthly_weekday, week_position=4, open_ended=True
                ),
                "venue": "Centro Community Room",
                "address": "11 Sycamore St",
                "city": "Worcester",
                "languages": ["en", "es"],
                "has_interpretation": True,
                "has_childcare": True,
            },
        },
        {
            "org": "haitian-community-partners",
            "by": "organizer@example.org",
            "data": {
                "type_slug": "dialogue",
                "primary_language": "en",
                "is_bilingual": True,
                "texts": {
                    "en": (
                        "Movement building dialogue",
                        "A quarterly dialogue of immigrant "
                        "leaders across communities, with simultaneous interpretation.",
                    ),
                    "ht": (
                        "Dyalòg pou bati mouvman an",
                        "Yon dyalòg chak twa mwa ant lidè imigran yo, ak entèpretasyon.",
                    ),
                },
                "start_date": today + timedelta(days=20),
                "start_time": time(10, 0),
                "end_time": time(13, 0),
                "recurrence": RecurrenceSpec(Frequency.quarterly_weekday, count=4),
                "venue": "Encuentro 5",
                "address": "9 Hamilton Pl",
                "city": "Boston",
                "languages": ["en", "ht", "es"],
                "has_interpretation": True,
                "has_food": True,
            },
        },
        {
            "org": "valley-workers-center",
            "by": "owner@example.org",
            "data": {
                "type_slug": "vigil",
                "primary_language": "es",
                "texts": {
                    "es": ("Vigilia por las familias separadas", "Traigan velas."),
                    "en": ("Vigil for separated families", "Bring candles."),
                },
                "start_date": today + timedelta(days=6),
                "start_time": time(19, 0),
                "end_time": time(20, 0),
                "venue": "First Churches",
                "address": "129 Main St",
                "city": "Northampton",
                "languages": ["es", "en"],
            },
        },
        {
            "org": "valley-workers-center",
            "by": "owner@example.org",
            "data": {
                "type_slug": "training",
                "primary_language": "es",
                "is_bilingual": True,
                "texts": {
                    "es": ("Taller: conoce tus derechos", "Qué hacer si ICE llega a tu puerta."),
                    "en": ("Know your rights training", "What to do if ICE comes to your door."),
                },
                "start_date": today + timedelta(days=12),
                "start_time": time(18, 0),
                "end_time": time(20, 0),
                "venue": "Valley Workers Center",
                "address": "20 Hampton Ave",
                "city": "Northampton",
                "capacity": 25,
                "has_waitlist": True,
                "has_childcare": True,
                "languages": ["es", "en"],
            },
        },
        {
            "org": "haitian-community-partners",
            "by": "organizer@example.org",
            "data": {
                "type_slug": "court-accompaniment",
                "primary_language": "en",
                "texts": {
                    "en": (
                        "Court accompaniment for a community member",
                        "Come with us to immigration court. The place is shared with "
                        "people who RSVP.",
                    )
                },
                "start_date": today + timedelta(days=9),
                "start_time": time(8, 30),
                "end_time": time(11, 0),
                "venue": "Immigration Court, Room 1104",
                "address": "15 New Sudbury St",
                "city": "Boston",
                "location_visibility": LocationVisibility.attendees,
                "languages": ["en", "ht"],
            },
        },
        {
            "org": "worcester-immigrant-coalition",
            "by": "owner@example.org",
            "cancel": "The city closed the park for repairs.",
            "data": {
                "type_slug": "outreach",
                "primary_language": "en",
                "texts": {
                    "en": ("Leafleting at the bus terminal", "Hand out know-your-rights cards.")
                },
                "start_date": today + timedelta(days=4),
                "start_time": time(7, 0),
                "end_time": time(9, 0),
                "venue": "Union Station",
                "address": "2 Washington Sq",
                "city": "Worcester",
                "languages": ["en", "es", "pt"],
            },
        },
        {
            "org": "valley-workers-center",
            "by": "owner@example.org",
            "data": {
                "type_slug": "meeting",
                "primary_language": "es",
                "texts": {
                    "es": (
                        "Comité de respuesta rápida",
                        "Reunión semanal de la línea de "
                        "emergencia; cruza el cambio de horario de marzo.",
                    )
                },
                "start_date": spring_forward - timedelta(days=14),
                "start_time": time(19, 0),
                "end_time": time(20, 0),
                "recurrence": RecurrenceSpec(Frequency.weekly, count=6),
                "venue": "Valley Workers Center",
                "address": "20 Hampton Ave",
                "city": "Northampton",
                "languages": ["es"],
            },
        },
    ]


def seed_events(users: dict[str, User]) -> None:
    ensure_default_types()
    existing_titles = set(db.session.scalars(sa.select(EventTranslation.title)))
    for spec in _demo_events(date.today()):
        data = dict(spec["data"])
        data.setdefault("timezone", current_app.config["COALITION_TIMEZONE"])
        if any(title in existing_titles for title, _ in data["texts"].values()):
            continue
        org, user = _org(spec["org"]), users[spec["by"]]
        event = event_ops.create_event(org, user, event_ops.EventInput(**data))
        event_lifecycle.publish(event, user)
        for slug in spec.get("cosponsors", []):
            cosponsor = event_lifecycle.invite_cosponsor(event, _org(slug))
            event_lifecycle.respond_to_cosponsorship(cosponsor, accept=True)
        if spec.get("cancel"):
            event_lifecycle.cancel_event(event, spec["cancel"])
        seeder = ATTENDANCE.get(spec["data"]["type_slug"])
        if seeder is not None and not spec.get("cancel"):
            db.session.flush()
            seeder(event)
    db.session.flush()


FIRST_NAMES = ["Ana", "Luis", "Marie", "Jean", "Fatima", "Nguyen", "Rosa", "Carlos", "Yusuf",
               "Claudia", "Pedro", "Mireille", "Sofia", "Diego", "Amina", "Tomas"]  # fmt: skip
LANGUAGES = ["es", "es", "en", "ht", "pt", "es", "so", "vi"]


def _people(prefix: str, count: int, start: int = 0):
    for n in range(start, start + count):
        name = FIRST_NAMES[n % len(FIRST_NAMES)]
        yield rsvp_ops.RSVPInput(
            name=name,
            email=f"{prefix}{n}@example.org",
            language=LANGUAGES[n % len(LANGUAGES)],
            party_size=1 + (n % 3 == 0),
            needs_interpretation=n % 4 == 0,
            needs_childcare=n % 5 == 0,
            needs_ride=n % 6 == 0,
        )


def _fill_training(event: Event) -> None:
    """The know-your-rights training capped at 25: full, with a waitlist."""
    occurrence = event.occurrences[0]
    for person in _people("training", 22):
        rsvp_ops.submit(occurrence, person, notify=False)


def _fill_march(event: Event) -> None:
    """May Day: individual RSVPs and two delegations, one on a bus with a seat limit."""
    occurrence = event.occurrences[0]
    for person in _people("march", 12):
        rsvp_ops.submit(occurrence, person, notify=False)
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester delegation", town="Worcester", lead_name="Marisol",
            lead_email="owner@example.org", lead_language="es", expected_headcount=45,
            travel_mode=TravelMode.bus, meeting_point="Union Station, Worcester",
            seat_limit=50,
        ),
    )  # fmt: skip
    carpool = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Springfield carpool", town="Springfield", lead_name="Jean",
            lead_email="organizer@example.org", expected_headcount=8,
            travel_mode=TravelMode.carpool, meeting_point="Pride gas station, Main St",
        ),
    )  # fmt: skip
    for person in _people("bus", 14, start=30):
        delegation_ops.join(bus, person)
    for person in _people("carpool", 4, start=60):
        delegation_ops.join(carpool, person)


def _fill_dialogue(event: Event) -> None:
    """The quarterly dialogue's first date has parallel sessions (seed 004): an English and a
    Spanish track, and a bilingual workshop capped at 25."""
    from coalition.sessions import operations as session_ops

    occurrence = event.occurrences[0]
    start = occurrence.start_at
    for title, offset, languages, interpreted, seats in (
        ("Organizing across communities (English)", 0, ["en"], False, None),
        ("Organizando entre comunidades (español)", 0, ["es"], False, None),
        ("Workshop: speaking to the press", 90, ["en", "ht", "es"], True, 25),
    ):
        session_ops.create_session(
            occurrence,
            session_ops.SessionInput(
                title=title, start_at=start + timedelta(minutes=offset),
                end_at=start + timedelta(minutes=offset + 80), room="Encuentro 5",
                languages=languages, has_interpretation=interpreted, capacity=seats,
            ),
        )  # fmt: skip


def _fill_helpers(event: Event) -> None:
    """May Day asks for helpers (seed 001): drivers from Springfield, a Haitian Creole
    interpreter, marshals; one driver has signed up."""
    from coalition.volunteers import operations as volunteer_ops
    from coalition.volunteers.models import RoleKind

    occurrence = event.occurrences[0]
    drivers = volunteer_ops.add_role(
        occurrence, volunteer_ops.RoleInput(kind=RoleKind.driver, needed=3, town="Springfield")
    )
    volunteer_ops.add_role(
        occurrence,
        volunteer_ops.RoleInput(kind=RoleKind.interpreter, needed=1, language_from="ht",
                                language_to="en"),
    )  # fmt: skip
    volunteer_ops.add_role(occurrence, volunteer_ops.RoleInput(kind=RoleKind.marshal, needed=6))
    volunteer_ops.submit(
        drivers,
        volunteer_ops.HelperInput(name="Tomas", email="driver0@example.org", seats=4,
                                  town="Springfield", language="pt"),
        notify=False,
    )  # fmt: skip


def _fill_march_and_helpers(event: Event) -> None:
    _fill_march(event)
    _fill_helpers(event)


ATTENDANCE = {
    "training": _fill_training,
    "march": _fill_march_and_helpers,
    "dialogue": _fill_dialogue,
}


def seed_open_meeting() -> None:
    """The weekly rapid-response committee: an open meeting, RSVP once for every date."""
    from coalition.sessions import series as series_ops
    from coalition.sessions.models import SeriesMode

    event = db.session.scalar(
        sa.select(Event).join(EventTranslation)
        .where(EventTranslation.title == "Comité de respuesta rápida")
    )  # fmt: skip
    if event is not None and series_ops.settings_for(event) is None:
        series_ops.configure(event, SeriesMode.open, None)


def seed_rapid_response() -> None:
    """The Valley Workers Center's rapid-response network: the owner dispatches, six trained
    responders (any hour or evenings, texts or email). Skipped once it has responders."""
    from coalition.rapid import operations as rapid_ops
    from coalition.rapid.models import Responder

    valley = _org("valley-workers-center")
    if db.session.scalar(sa.select(Responder.id).where(Responder.org_id == valley.id).limit(1)):
        return
    owner = db.session.scalar(sa.select(User).where(User.email == "owner@example.org"))
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == owner.id, Membership.org_id == valley.id)
    )
    membership.is_dispatcher = True
    people = [
        ("Rosa", "es", ["Northampton", "Holyoke"], ["responder", "interpreter"], True),
        ("Jean", "ht", ["Springfield"], ["responder", "driver"], False),
        ("Ana", "pt", ["Holyoke", "Springfield"], ["legal_observer"], True),
        ("Luis", "es", ["Northampton"], ["court_accompaniment"], False),
        ("Claudia", "en", ["Amherst", "Northampton"], ["responder"], True),
        ("Diego", "es", ["Holyoke"], ["driver", "responder"], True),
    ]
    for n, (name, language, towns, roles, always) in enumerate(people):
        rapid_ops.join(
            valley,
            rapid_ops.ResponderInput(
                name=name, email=f"responder{n}@example.org", phone=None, use_sms=False,
                use_email=True, locale=language, towns=towns,
                languages=sorted({language, "en"}), roles=roles,
                training="Know your rights / rapid response", trained_on=date.today(),
                is_always=always, weekly_hours=[] if always else _EVENINGS,
            ),
        )  # fmt: skip


#: Weekday evenings (a responder's weekly hours in the demo, as `parse_hours` stores them).
_EVENINGS = [[day, "18:00", "23:00"] for day in range(5)]


def demo_event_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event))
