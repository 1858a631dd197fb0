"""Flyers: one page, one or two languages, a QR code that reads as the RSVP page."""

from __future__ import annotations

import base64
import io
import re

import pytest
import zxingcpp
from PIL import Image

from coalition.events.models import LocationVisibility
from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of


def decode_qr(page: str) -> list[str]:
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(uri)))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def flyer_url(event) -> str:
    return f"/events/{event.id}/occurrences/{event.occurrences[0].id}/flyer"


def test_the_flyer_qr_code_reads_as_the_rsvp_page(client, db):
    event = make_event(title="Rally for TPS")
    response = client.get(flyer_url(event))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rsvp = f"http://localhost/events/{event.id}/occurrences/{event.occurrences[0].id}/rsvp"
    assert decode_qr(page) == [rsvp]
    assert "Rally for TPS" in page and "City Hall Plaza" in page and "Boston" in page
    assert "flyer.css" in page and "Scan the code to sign up" in page


def test_a_flyer_in_two_languages(client, db):
    event = make_event(
        texts={"en": ("Rally for TPS", "Come."), "es": ("Marcha por el TPS", "Ven.")}
    )
    page = client.get(flyer_url(event) + "?lang=en&lang2=es").get_data(as_text=True)
    assert '<section class="flyer-side" lang="en">' in page
    assert '<section class="flyer-side" lang="es">' in page
    assert "Rally for TPS" in page and "Marcha por el TPS" in page
    assert "Scan the code to sign up" in page and "Escanee el código para inscribirse" in page
    assert "sábado, 1 de mayo de 2027" in page
    assert client.get(flyer_url(event) + "?lang=xx").status_code == 400


@pytest.mark.parametrize(
    "mode",
    [LocationVisibility.attendees, LocationVisibility.approved, LocationVisibility.hidden_until],
)
def test_a_flyer_never_prints_a_hidden_place_even_for_its_hosts(client, db, mode):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(
        org,
        location_visibility=mode,
        location_reveal_hours=2 if mode == LocationVisibility.hidden_until else None,
        venue="Secret Church Basement",
        address="12 Hidden Lane",
        city="Chelsea",
    )
    client.login("host@example.org")
    page = client.get(flyer_url(event)).get_data(as_text=True)
    assert "Secret Church" not in page and "Hidden Lane" not in page
    assert "Chelsea" in page


def test_the_flyer_as_pdf_fits_one_page_in_two_languages_with_a_picture(app, client, db, tmp_path):
    from coalition.reach import flyer
    from tests.reach.test_images import jpeg_with_gps, upload

    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    app.extensions.pop("uploads", None)
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    long = "Bring signs, water and friends. " * 40
    event = make_event(
        org, texts={"en": ("Rally for TPS", long), "es": ("Marcha por el TPS", long)}
    )
    client.login("host@example.org")
    assert upload(client, event, jpeg_with_gps(1600, 2400)).status_code == 302
    client.logout()
    response = client.get(flyer_url(event) + ".pdf?lang=en&lang2=es")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF-")
    assert 'filename="flyer-' in response.headers["Content-Disposition"]
    # The same flyer laid out as WeasyPrint printed it: one page, picture and QR code on it.
    html = client.get(flyer_url(event) + "?lang=en&lang2=es").get_data(as_text=True)
    with app.test_request_context():
        laid_out = flyer.document(html, "http://localhost")
    assert len(laid_out.pages) == 1
    images = [
        box
        for box in _boxes(laid_out.pages[0]._page_box)
        if type(box).__name__.endswith("ReplacedBox")
    ]
    assert len(images) == 2  # the picture and the QR code


def _boxes(box):
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)
