"""Demo data for `make run`: a believable statewide coalition (idempotent)."""

from __future__ import annotations

import sqlalchemy as sa

from coalition.auth.models import User
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus

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
    return [
        ("coalition admin", "admin@example.org"),
        ("org owner", "owner@example.org"),
        ("org organizer", "organizer@example.org"),
        ("org member", "member@example.org"),
        ("applicant (pending org)", "applicant@example.org"),
    ]
