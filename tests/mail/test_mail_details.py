"""Mail details (issue #14, finding 12): Reply-To, the lead's language, compiled catalogs."""

import shutil
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from coalition import create_app
from coalition.delegations import operations as delegation_ops
from coalition.mail.models import OutgoingEmail
from coalition.rsvps import operations as rsvp_ops
from tests.factories import make_event


def _mail(db, kind: str) -> OutgoingEmail:
    return db.session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.kind == kind))


def test_replies_go_to_the_events_contact(db, smtp, deliver):
    event = make_event(contact_email="contact@centro.example.org")
    plain = make_event(title="No contact")
    for target in (event, plain):
        rsvp_ops.submit(
            target.occurrences[0],
            rsvp_ops.RSVPInput(name="Ana", email=f"ana{target.id}@example.org", language="es"),
        )
    db.session.commit()
    deliver()
    replies = {tuple(to): message["Reply-To"] for to, message in smtp.messages}
    assert replies == {
        (f"ana{event.id}@example.org",): "contact@centro.example.org",
        (f"ana{plain.id}@example.org",): None,
    }


def test_the_lead_gets_the_title_in_their_language(db):
    event = make_event(
        texts={"en": ("May Day March", "We march."), "es": ("Marcha del Primero de Mayo", "")},
    )
    delegation_ops.start(
        event.occurrences[0],
        delegation_ops.DelegationInput(
            name="Holyoke", town="Holyoke", lead_name="Carmen",
            lead_email="carmen@example.org", lead_language="es",
        ),
    )  # fmt: skip
    db.session.commit()
    started = _mail(db, "delegation_started")
    assert "Marcha del Primero de Mayo" in started.body_text
    assert "May Day March" not in started.body_text


def test_spanish_works_without_a_manual_compile(tmp_path, smtp_server):
    """An install that never ran `pybabel compile` still speaks Spanish."""
    source = tmp_path / "translations"
    po = Path(__file__).parents[2] / "coalition/translations/es/LC_MESSAGES/messages.po"
    (source / "es/LC_MESSAGES").mkdir(parents=True)
    shutil.copy(po, source / "es/LC_MESSAGES/messages.po")
    app = create_app({
        "CONFIG_NAME": "testing", "TRANSLATIONS_SOURCE": str(source),
        "COMPILED_TRANSLATIONS_DIR": str(tmp_path / "compiled"),
    })  # fmt: skip
    assert (tmp_path / "compiled/es/LC_MESSAGES/messages.mo").exists()
    assert not (source / "es/LC_MESSAGES/messages.mo").exists()
    with app.test_request_context(), force_locale("es"):
        assert gettext("Save") == "Guardar"
