"""The roster: joining by invitation, the responder's private page, who may see it (audited)."""

import re

import sqlalchemy as sa

from coalition.extensions import db
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import Membership, OrgRole
from coalition.rapid.models import CoalitionDispatcher, Responder
from coalition.rsvps.models import AuditEntry
from tests.factories import UserFactory, member_of
from tests.rapid.conftest import add_responder, phone

JOIN = {
    "name": "Ana Lima",
    "phone": "617 555 0101",
    "email": "",
    "use_sms": "y",
    "locale": "pt",
    "towns": "Holyoke, Springfield",
    "roles": ["responder", "interpreter"],
    "languages": ["pt", "es"],
    "training": "Know your rights, PVWC",
    "trained_on": "2026-10-04",
    "availability": "weekly",
    "weekly_hours": "Mon-Fri 18:00-23:00",
    "zone": "America/New_York",
}


def _invitation(client, org, dispatcher) -> str:
    client.login(dispatcher.email)
    page = client.get(f"/orgs/{org.slug}/rapid/invite").get_data(as_text=True)
    client.logout()
    return re.search(r'value="http://localhost(/rapid/join/[^"]+)"', page).group(1)


def test_a_responder_joins_by_invitation_and_gets_a_private_link(client, org, dispatcher):
    path = _invitation(client, org, dispatcher)
    form_page = client.get(path)
    assert form_page.status_code == 200
    response = client.submit(path, JOIN, page=path)
    assert response.status_code == 200
    assert "We sent your private link" in response.get_data(as_text=True)
    responder = db.session.scalar(sa.select(Responder))
    assert responder.towns == ["holyoke", "springfield"]
    assert responder.weekly_hours[0] == [0, "18:00", "23:00"] and not responder.is_always
    assert responder.locale == "pt" and responder.roles == ["responder", "interpreter"]
    # Contacts are encrypted at rest.
    raw = db.session.execute(sa.text("SELECT name, phone FROM rapid_responders")).one()
    assert "Ana" not in raw.name and "555" not in raw.phone
    text = db.session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rapid_link"))
    assert text.channel == "sms" and text.recipient == "+16175550101"
    link = re.search(r"http://localhost(/r/\S+|/rapid/me/\S+)", text.body_text).group(1)
    # Same contact again: nothing changes, the page says the same, the owner gets their link.
    again = client.submit(path, {**JOIN, "name": "Someone else"}, page=path)
    assert "We sent your private link" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Responder)).name == "Ana Lima"
    me = client.get(link)
    assert me.status_code == 200 and "Ana Lima" in me.get_data(as_text=True)


def test_bad_expired_or_tampered_invitations_are_refused(client, org, dispatcher, app):
    path = _invitation(client, org, dispatcher)
    assert client.get(path + "x").status_code == 404
    response = client.submit(path, {**JOIN, "phone": "", "weekly_hours": "whenever"}, page=path)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 0
    from itsdangerous import URLSafeTimedSerializer

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="coalition.rapid.join")
    import time
    from unittest import mock

    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 15 * 86400):
        token = old.dumps({"org": org.id})
    assert client.get(f"/rapid/join/{token}").status_code == 404


def test_pause_resume_and_leave_by_the_private_link(client, org):
    responder = add_responder(org, phone=phone(1))
    db.session.commit()
    path = f"/rapid/me/{responder.id}/{responder.manage_secret}"
    client.submit(f"{path}/pause", page=path)
    db.session.expire_all()
    assert db.session.get(Responder, responder.id).is_paused
    client.submit(f"{path}/resume", page=path)
    db.session.expire_all()
    assert not db.session.get(Responder, responder.id).is_paused
    assert client.submit(f"{path}/leave", page=path).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 0
    assert client.get(path).status_code == 404
    assert client.get(f"/rapid/me/{responder.id}/wrong").status_code == 404


def test_the_roster_is_for_dispatchers_only_and_every_look_is_audited(client, org, dispatcher):
    add_responder(org, phone=phone(1), name="Ana Lima")
    db.session.commit()
    url = f"/orgs/{org.slug}/rapid/roster"
    assert client.get(url).status_code == 302  # anonymous: sign in
    owner = member_of(org, OrgRole.owner)
    client.login(owner.email)
    assert client.get(url).status_code == 403  # owners appoint dispatchers, they do not see it
    client.logout()
    client.login(dispatcher.email)
    page = client.get(url)
    assert page.status_code == 200 and "Ana Lima" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert [(e.user_id, e.action) for e in entries] == [(dispatcher.id, "view_roster")]


def test_owners_choose_dispatchers_and_admins_name_coalition_wide_ones(client, org):
    owner = member_of(org, OrgRole.owner)
    helper = member_of(org, OrgRole.member, name="Rosa")
    client.login(owner.email)
    page = f"/orgs/{org.slug}/rapid/dispatchers"
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == helper.id))
    client.submit(page, {"dispatcher": [str(membership.id)]}, page=page)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).is_dispatcher
    assert db.session.get(Membership, membership.id).role == OrgRole.member  # roles unchanged
    client.logout()
    admin = UserFactory(is_admin=True)
    wide = UserFactory(email="wide@example.org")
    client.login(admin.email)
    client.submit(
        "/admin/rapid", {"what": "dispatcher", "d-email": "wide@example.org"}, page="/admin/rapid"
    )
    assert db.session.get(CoalitionDispatcher, wide.id) is not None
    client.logout()
    client.login(wide.email)
    assert client.get(f"/orgs/{org.slug}/rapid/roster").status_code == 200


def test_dispatchers_owners_and_admins_find_rapid_response_from_the_pages_they_use(
    client, org, dispatcher
):
    rapid_link = 'href="/rapid"'
    client.login(dispatcher.email)
    home = client.get("/").get_data(as_text=True)
    assert rapid_link in home  # the header: one tap to "New alert"
    assert f"/orgs/{org.slug}/rapid/alerts/new" in client.get("/rapid").get_data(as_text=True)
    client.logout()
    member = member_of(org, OrgRole.member)
    client.login(member.email)
    assert rapid_link not in client.get("/").get_data(as_text=True)
    client.logout()
    owner = member_of(org, OrgRole.owner)
    client.login(owner.email)
    org_page = client.get(f"/orgs/{org.slug}").get_data(as_text=True)
    assert f"/orgs/{org.slug}/rapid/dispatchers" in org_page
    client.logout()
    admin = UserFactory(is_admin=True)
    client.login(admin.email)
    assert 'href="/admin/rapid"' in client.get("/admin/").get_data(as_text=True)
