"""Every notice the service sends, on every channel, in every language (issue 22).

The cases are generated from the registry (`coalition/notices`), so a notice declared tomorrow is
tested tomorrow. Each one goes through the real channel function (`queue_email` / `queue_sms`,
template taken from the registry) with realistic data: a Spanish title with accents and guillemets
(a text in UCS-2, 67 characters a segment), a long Creole or Portuguese one, a real RSVP.

Budget of a text: 3 segments (`sms/segments.py` MAX_SEGMENTS: 459 GSM-7 characters, 201 UCS-2),
counted on the text as written, before `fit` would cut it (a cut text loses its link at the end).
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from jinja2 import meta

from coalition import create_app, notices
from coalition.mail.models import OutgoingEmail
from coalition.mail.operations import queue_email
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, RSVPStatus
from coalition.sms.operations import queue_sms
from coalition.sms.segments import MAX_SEGMENTS, count_segments, plain
from tests.factories import OrganizationFactory, UserFactory, make_event

LANGUAGES = ("en", "es", "ht", "pt")
#: Words that point to an email, in the four languages.
EMAIL_WORDS = {"email", "e-mail", "spam", "correo", "imèl", "imel"}
EMAIL_TO = "ana.lucia@example.org"
PHONE_TO = "+16175550142"
#: Every name of a private link a template may show: whichever it uses must be in the message.
LINKS = ("manage_url", "link", "lead_url", "reset_url", "accept_url", "confirm_url")
#: Notices that close a matter and carry no private link on purpose (nothing left to manage).
NO_LINK = {"waitlist_closed", "event_cancelled", "helper_cancelled", "sms_cap_reached"}
#: Texts without a link: messages written by organizers or leads (their words fill the text),
#: and a declined request (nothing to manage; the email carries the link).
SMS_NO_LINK = {"organizer_message", "helper_message", "delegation_message", "rsvp_declined"}

_REGISTRY = create_app({"CONFIG_NAME": "testing"}).extensions["notices"]
CASES = [
    pytest.param(notice, channel, language, id=f"{notice.kind}-{channel}-{language}")
    for notice in _REGISTRY
    for channel in notice.channels
    for language in LANGUAGES
]


@pytest.fixture
def backend():
    return "sqlite"  # rendering does not depend on the database


def _world(db):
    """Realistic people and places: a training with a long, accented title in each language."""
    org = OrganizationFactory(name="Centro de Trabajadores Unidos")
    event = make_event(
        org,
        texts={
            "en": ("Know-your-rights training", "Bring your questions."),
            "es": ("Taller «Conozca sus derechos» en Worcester", "Traiga sus preguntas."),
            "ht": ("Fòmasyon sou dwa travayè imigran yo", "Pote kesyon ou yo."),
            "pt": ("Oficina «Conheça seus direitos» em Framingham", "Traga suas perguntas."),
        },
        languages=list(LANGUAGES),
        capacity=25,
        start_date=date(2027, 9, 18),
    )
    occurrence = event.occurrences[0]
    outcome = rsvp_ops.submit(
        occurrence,
        rsvp_ops.RSVPInput(name="Ana Lucía", email=EMAIL_TO, language="es", party_size=3),
        notify=False,
    )
    db.session.flush()
    return SimpleNamespace(org=org, event=event, occurrence=occurrence, rsvp=outcome.rsvp)


def _context(world, language: str) -> dict:
    """Everything any notice's template asks for, built on the real event and RSVP."""
    from coalition.events.formatting import format_moment
    from coalition.languages import message_locale

    event, occurrence, rsvp = world.event, world.occurrence, world.rsvp
    rsvp.language = language
    locale = message_locale(language)
    user = UserFactory(name="Marie-Claire Joseph", language=language)
    manage_url = rsvp_ops.manage_url(rsvp)
    link = "http://localhost/r/Zx81kQp0LmN4vB2c"
    helper = SimpleNamespace(
        name="Beto",
        role=SimpleNamespace(
            kind="interpreter",
            language_from="en",
            language_to="es",
            town=None,
            note="Traiga audífonos.",
            shift_start=occurrence.start_at,
            shift_end=occurrence.end_at,
        ),
        occurrence=occurrence,
        language=language,
    )
    alert = SimpleNamespace(
        town="Worcester",
        place="Main St y Chandler St",
        note="Traigan agua.",
        happens_at=occurrence.start_at,
        is_drill=False,
        kind="raid",
    )
    delegation = SimpleNamespace(
        name="Delegación de Worcester",
        meeting_point="Iglesia San Juan",
        departure_at=occurrence.start_at,
        occurrence=occurrence,
        lead_language=language,
        travel_mode="bus",
        seat_limit=None,
    )
    return {
        "rsvp": rsvp,
        "event": event,
        "occurrence": occurrence,
        "location": None,
        "manage_url": manage_url,
        "event_url": f"http://localhost/events/{event.id}/occurrences/{occurrence.id}",
        "ics_url": f"http://localhost/events/{event.id}/occurrences/{occurrence.id}.ics",
        "title": event.translation(language).title,
        "when": format_moment(occurrence.start_at, event.zone, locale),
        "link": link,
        "reason": "El permiso fue negado.",
        "changes": ["the place"],
        "host_message": "Lo sentimos, el cupo es para miembros.",
        "seats": 2,
        "session_title": "Taller en español",
        "helper": helper,
        "role": helper.role,
        "delegation": delegation,
        "members": [rsvp],
        "headcount": 12,
        "name": delegation.name,
        "lead_url": "http://localhost/delegations/lead/abc",
        "join_url": "http://localhost/delegations/1/join",
        "member": "Ana Lucía",
        "subject": "Cambio de lugar",
        "body": "Nos vemos en la iglesia.",
        "registration": SimpleNamespace(status="confirmed"),
        "parts": [rsvp],
        "already": False,
        "alert": alert,
        "kind_label": "Redada",
        "drill": False,
        "org_name": world.org.name,
        "training": "Conozca sus derechos",
        "day": occurrence.start_at.date(),
        "short_day": "18 sept 2027",
        "days": 14,
        "user": user,
        "org": world.org,
        "org_url": "http://localhost/orgs/centro",
        "note": "Falta el estatuto.",
        "applicant": user,
        "review_url": "http://localhost/admin/applications",
        "invitation": SimpleNamespace(role="organizer"),
        "inviter": user,
        "accept_url": "http://localhost/invitations/xyz",
        "reset_url": "http://localhost/reset/xyz",
        "register_url": "http://localhost/register",
        "confirm_url": "http://localhost/register/confirm/xyz",
        "login_url": "http://localhost/login",
        "hours": 2,
        "cap": 500,
        "stage": "MAIL FROM",
        "code": 530,
        "since": "2026-12-05 14:00 UTC",
        "respond_url": "http://localhost/manage/cosponsorships",
        "dates": [(rsvp, manage_url)],
        "rider": "Ana",
        "pickup": "Framingham",
        "riders": 2,
        "driver": "Beto",
        "driver_town": "Worcester",
        "meeting_point": delegation.meeting_point,
        "departure": format_moment(occurrence.start_at, event.zone, locale),
    }


def _uses(app, template_file: str) -> set[str]:
    source = app.jinja_env.loader.get_source(app.jinja_env, template_file)[0]
    return meta.find_undeclared_variables(app.jinja_env.parse(source))


def test_the_registry_holds_every_kind_the_code_sends(app):
    """Every `kind="..."` written in the code is declared (a new notice sent the old way, not
    registered, fails here before it fails a person)."""
    from pathlib import Path

    import coalition

    written = set()
    for path in Path(coalition.__file__).parent.rglob("*.py"):
        written |= set(re.findall(r'\bkind="([a-z_]+)"', path.read_text()))
    # Other `kind="..."` strings in the code (not messages): reminder kinds, throttles...
    not_messages = {"login", "custom", "attendee", "helper", "lead"}
    declared = {n.kind for n in notices.registry()}
    assert written - not_messages - declared == set()


@pytest.mark.parametrize(("notice", "channel", "language"), CASES)
def test_every_notice_on_every_channel_in_every_language(app, db, notice, channel, language):
    world = _world(db)
    context = _context(world, language)
    locale = "pt_BR" if language == "pt" else language
    template = notice.template(channel)
    if channel == notices.EMAIL:
        context.pop("subject")  # an organizer's subject: the text's; an email has its own
        row = queue_email(to=EMAIL_TO, kind=notice.kind, subject="—", locale=locale, **context)
        text = row.body_text
        assert row.body_html and "<" in row.body_html
        used = _uses(app, f"email/{template}.txt") | _uses(app, f"email/{template}.html")
    else:
        row = queue_sms(to=PHONE_TO, kind=notice.kind, locale=locale, **context)
        assert row is not None
        with force_locale(locale):
            written = plain(render_template(f"sms/{template}.txt", **context)).strip()
        count = count_segments(written)
        assert count.segments <= MAX_SEGMENTS, (count, written)
        text = row.body_text
        assert text == written  # nothing was cut
        # Channel-true: a text never sends a phone-only person to an email or a spam folder.
        assert not EMAIL_WORDS & set(re.findall(r"[\w-]+", text.lower())), text
        used = _uses(app, f"sms/{template}.txt")
    assert text.strip()
    # Every variable a template reads is one a sender gives (else it renders as nothing).
    processors = {k for fn in app.template_context_processors[None] for k in fn()}
    known = set(context) | set(app.jinja_env.globals) | processors | {"channel", "email_locale"}
    assert used - known == set(), f"{notice.kind} ({channel}) reads {used - known}"
    if notice.kind in NO_LINK or (channel == notices.SMS and notice.kind in SMS_NO_LINK):
        return
    private = [context[name] for name in LINKS if name in used]
    if channel == notices.EMAIL and "dates" in used:
        private += [url for _rsvp, url in context["dates"]]
    # People without an account reach their page only by the link in the message; account
    # holders sign in (their private links, to confirm or reset, are checked when used).
    assert private or notice.audience == notices.ACCOUNT, f"{notice.kind} ({channel}): no link"
    for url in private:
        assert str(url) in text, f"{notice.kind} ({channel}, {language}) lost its link"


#: What the first words of a message say about a person's place, in each language.
STATUS_WORDS = {
    RSVPStatus.confirmed: {"en": "signed up", "es": "inscri", "ht": "enskri", "pt": "inscri"},
    RSVPStatus.waitlisted: {
        "en": "waitlist",
        "es": "lista de espera",
        "ht": "lis datant",
        "pt": "lista de espera",
    },
    RSVPStatus.pending: {"en": "request", "es": "solicitud", "ht": "demann", "pt": "pedido"},
    RSVPStatus.declined: {"en": "request", "es": "solicitud", "ht": "demann", "pt": "pedido"},
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", [notices.EMAIL, notices.SMS])
@pytest.mark.parametrize("status", list(STATUS_WORDS), ids=lambda s: s.value)
def test_the_first_words_match_the_persons_real_status(db, status, channel, language):
    """The subject of an email and the words of a text before its link say where the person stands:
    a waitlisted person is never told "you are signed up"."""
    world = _world(db)
    rsvp: RSVP = world.rsvp
    rsvp.language = language
    if channel == notices.SMS:
        rsvp.email, rsvp.phone = None, PHONE_TO
    if status == RSVPStatus.declined:
        rsvp.status = RSVPStatus.pending
        rsvp_ops.decline(rsvp, "Cupo lleno.")
    else:
        rsvp.status = status
        rsvp_ops.send_confirmation(rsvp)
    db.session.flush()
    row = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id.desc())).first()
    # A text is one line: what it says before its link (dates hold dots: "18 de set. de 2027").
    first = row.subject if channel == notices.EMAIL else row.body_text.split("http")[0]
    first = first.lower()
    assert STATUS_WORDS[status][language] in first, (status, language, first)
    if status != RSVPStatus.confirmed:
        assert STATUS_WORDS[RSVPStatus.confirmed][language] not in first, first
    # The link's token carries its signing time: compare what comes before it.
    signed = rsvp_ops.manage_url(rsvp).rsplit(".", 2)[0]
    link = signed if channel == notices.EMAIL else "http://localhost/r/"
    if status != RSVPStatus.declined or channel == notices.EMAIL:
        assert link in row.body_text


def test_a_missing_template_stops_the_app_at_start(monkeypatch):
    from coalition.rsvps import notice_kinds

    broken = notices.Notice("rsvp_moved", notices.ATTENDEE, email="rsvps/moved", sms="rsvps/moved")
    monkeypatch.setattr(notice_kinds, "NOTICES", (*notice_kinds.NOTICES, broken))
    with pytest.raises(notices.NoticeError, match=r"templates/sms/rsvps/moved\.txt"):
        create_app(
            {
                "CONFIG_NAME": "production",
                "SECRET_KEY": "x",
                "CONTACT_KEYS": _key(),
                "CONTACT_HASH_KEY": "h" * 32,
            }
        )


def test_a_notice_to_people_who_may_have_only_a_phone_needs_a_text():
    """The bug of issue 22 as a declaration: `rsvp_changed` without a text is refused."""
    registry = notices.Registry()
    with pytest.raises(notices.NoticeError, match="reached only by sms"):
        registry.add(notices.Notice("rsvp_changed", notices.ATTENDEE, email="rsvps/changed"))


def test_an_undeclared_notice_is_not_sent(app, db):
    with pytest.raises(notices.NoticeError, match="not registered"):
        queue_email(
            to=EMAIL_TO, kind="surprise", subject="x", template="rsvps/changed", locale="en"
        )
    with pytest.raises(notices.NoticeError, match="sends sms template"):
        queue_sms(to=PHONE_TO, kind="rsvp_changed", template="rsvps/confirmation", locale="en")


def _key() -> str:
    from config import _NOT_SECRET_CONTACT_KEY

    return _NOT_SECRET_CONTACT_KEY
