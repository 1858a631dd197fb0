"""GET /api/v1/orgs: the coalition's member organizations, and no one else."""

from __future__ import annotations

from urllib.parse import urlsplit

from coalition.orgs.models import OrgStatus
from tests.factories import OrganizationFactory


def test_lists_active_member_organizations_with_their_public_profile(client):
    OrganizationFactory(
        name="Valley Workers Center",
        slug="valley",
        city="Springfield",
        website="https://valley.example",
        contact_email="info@valley.example",
        languages=["en", "es", "pt"],
        color="#aa3300",
    )
    OrganizationFactory(name="Janitors Union Local 615", slug="local-615", website=None)
    OrganizationFactory(name="Applicant", status=OrgStatus.pending)
    OrganizationFactory(name="Declined", status=OrgStatus.declined)
    OrganizationFactory(name="Suspended", status=OrgStatus.suspended)

    response = client.get("/api/v1/orgs")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    orgs = response.get_json()["orgs"]
    assert [o["name"] for o in orgs] == ["Janitors Union Local 615", "Valley Workers Center"]
    valley = orgs[1]
    assert {k: v for k, v in valley.items() if k != "url"} == {
        "slug": "valley",
        "name": "Valley Workers Center",
        "city": "Springfield",
        "website": "https://valley.example",
        "contact_email": "info@valley.example",
        "languages": ["en", "es", "pt"],
        "color": "#aa3300",
    }
    assert urlsplit(valley["url"]).path == "/orgs/valley"
    assert client.get(urlsplit(valley["url"]).path).status_code == 200
    assert orgs[0]["website"] is None


def test_no_private_detail_of_an_organization_is_listed(client):
    OrganizationFactory(slug="valley", contact_phone="+1 413 555 0199", status_note="internal")
    body = client.get("/api/v1/orgs").get_data(as_text=True)
    assert "555 0199" not in body and "internal" not in body
