"""No attendee name or contact reaches any public page, feed or API response."""

from coalition.delegations import operations as delegation_ops
from coalition.rsvps import operations as rsvp_ops
from tests.factories import make_event

NAME, EMAIL, PHONE = "Xiomara Quetzal", "xiomara.q@example.org", "+16175550177"
LEAD, LEAD_EMAIL = "Leandro Vexx", "leandro.vexx@example.org"


def test_no_pii_in_public_responses(client, db):
    event = make_event(title="May Day", capacity=50)
    occurrence = event.occurrences[0]
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name=NAME, email=EMAIL, phone=PHONE,
                                                   note="uses a wheelchair"))  # fmt: skip
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name=LEAD, lead_email=LEAD_EMAIL
        ),
    )
    delegation_ops.join(bus, rsvp_ops.RSVPInput(name="Member Zed", email="zed@example.org"))
    db.session.commit()
    org = event.host_org.slug
    urls = [
        "/", "/calendar", "/calendar/past", f"/events/{event.id}",
        f"/events/{event.id}/occurrences/{occurrence.id}",
        f"/events/{event.id}/occurrences/{occurrence.id}/rsvp", f"/orgs/{org}", "/orgs",
        "/calendar.ics", f"/orgs/{org}/calendar.ics", f"/events/{event.id}.ics",
        f"/events/{event.id}/occurrences/{occurrence.id}.ics",
        "/api/v1/events", f"/api/v1/events/{event.id}", "/api/v1/orgs",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for secret in (NAME, "Xiomara", EMAIL, PHONE, "5550177", "wheelchair", LEAD, LEAD_EMAIL,
                       "Member Zed", "zed@example.org"):  # fmt: skip
            assert secret not in body, (url, secret)
    # The public page does show the delegation by name, town and headcount.
    assert "Worcester bus" in client.get(f"/events/{event.id}").get_data(as_text=True)
