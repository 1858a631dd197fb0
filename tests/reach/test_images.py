"""Event pictures: uploaded by the hosts, published without their hidden data."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of

GPS_IFD = 0x8825


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads")}


def jpeg_with_gps(width: int = 2000, height: int = 1200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 36.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    # The upload really carries a location.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)[2] == (42.0, 21.0, 30.0)
    return data


def _host(db):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    return org


def upload(client, event, data: bytes, alt: str = "Marchers with a banner", name="photo.jpg"):
    token = client.csrf_token(f"/events/{event.id}/image")
    return client.post(
        f"/events/{event.id}/image",
        data={"csrf_token": token, "alt_text": alt, "picture": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_uploaded_photo_is_published_without_its_location(client, db):
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    response = upload(client, event, jpeg_with_gps())
    assert response.status_code == 302
    client.logout()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'alt="Marchers with a banner"' in page
    og_image = re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)
    assert re.fullmatch(rf"http://localhost/media/e{event.id}-[0-9a-f]{{24}}-1600\.jpg", og_image)
    assert 'name="twitter:card" content="summary_large_image"' in page
    names = set(re.findall(rf"/media/(e{event.id}-[0-9a-f]{{24}}-\d+\.jpg)", page))
    assert {int(n.rsplit("-", 1)[1].split(".")[0]) for n in names} == {480, 960, 1600}
    for name in names:
        served = client.get(f"/media/{name}")
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        data = served.get_data()
        assert b"Exif" not in data and b"PhoneMaker" not in data
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert not image.getexif() and not image.getexif().get_ifd(GPS_IFD)
        assert "exif" not in image.info


def test_a_picture_needs_a_description_in_the_page_language(client, db):
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    response = upload(client, event, jpeg_with_gps(), alt="")
    assert response.status_code == 400
    assert "Describe the picture: people who cannot see it need it." in response.get_data(
        as_text=True
    )
    client.logout()
    member_of(event.host_org, OrgRole.organizer, email="anfitriona@example.org", language="es")
    client.login("anfitriona@example.org")
    response = upload(client, event, jpeg_with_gps(), alt=" ")
    assert response.status_code == 400
    assert "Describe la imagen: las personas que no pueden verla" in response.get_data(as_text=True)
    assert "/media/" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_only_pictures_are_accepted(client, db):
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    fake = upload(client, event, b"<?php echo 'hi'; ?>", name="photo.jpg")
    assert fake.status_code == 400
    assert "not a picture we can read" in fake.get_data(as_text=True)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    refused = upload(client, event, gif.getvalue(), name="a.gif")
    assert refused.status_code == 400
    assert "Upload a JPEG, PNG or WebP picture." in refused.get_data(as_text=True)


def test_a_transparent_png_and_a_small_webp_are_accepted(client, db):
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    png = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(png, "PNG")
    assert upload(client, event, png.getvalue(), name="flyer.png").status_code == 302
    webp = io.BytesIO()
    Image.new("RGB", (640, 400), (0, 90, 0)).save(webp, "WEBP")
    assert upload(client, event, webp.getvalue(), name="flyer.webp").status_code == 302
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    # A smaller original is never enlarged: 480 and its own width.
    widths = {int(w) for w in re.findall(rf"/media/e{event.id}-[0-9a-f]{{24}}-(\d+)\.jpg", page)}
    assert widths == {480, 640}


def test_an_upload_too_large_is_refused(app, client, db):
    app.config["IMAGE_MAX_BYTES"] = 50_000
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    response = upload(client, event, jpeg_with_gps() + b"\0" * 60_000)
    assert response.status_code == 413
    assert "/media/" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_only_hosts_change_the_picture(client, db):
    event = make_event()
    OrganizationFactory()
    stranger_org = OrganizationFactory()
    member_of(stranger_org, OrgRole.organizer, email="other@example.org")
    client.login("other@example.org")
    assert client.get(f"/events/{event.id}/image").status_code == 403
    assert client.get("/media/e1-000000000000000000000000-480.jpg").status_code == 404
    assert client.get("/media/..%2Fconfig.py").status_code == 404


def test_removing_the_picture(client, db, app):
    from pathlib import Path

    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    upload(client, event, jpeg_with_gps(800, 600))
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert len(list(folder.iterdir())) == 2  # 480 and 800
    response = client.submit(f"/events/{event.id}/image/remove", page=f"/events/{event.id}/image")
    assert response.status_code == 302
    assert list(folder.iterdir()) == []
    assert "/media/" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_deleting_a_draft_deletes_its_pictures_files(client, db, app):
    from pathlib import Path

    from coalition.events.models import EventStatus

    org = _host(db)
    draft = make_event(org, status=EventStatus.draft)
    client.login("host@example.org")
    assert upload(client, draft, jpeg_with_gps(800, 600)).status_code == 302
    folder = Path(app.config["UPLOAD_FOLDER"])
    names = [path.name for path in folder.iterdir()]
    assert len(names) == 2
    response = client.submit(f"/events/{draft.id}/delete", page=f"/events/{draft.id}/edit")
    assert response.status_code == 302
    assert list(folder.iterdir()) == []
    client.logout()
    assert all(client.get(f"/media/{name}").status_code == 404 for name in names)


def test_a_refused_delete_keeps_the_pictures_files(client, db, app):
    from pathlib import Path

    org = _host(db)
    event = make_event(org)  # published: it cannot be deleted
    client.login("host@example.org")
    upload(client, event, jpeg_with_gps(800, 600))
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert client.submit(f"/events/{event.id}/delete", page="/").status_code == 409
    assert len(list(folder.iterdir())) == 2
    assert "/media/" in client.get(f"/events/{event.id}").get_data(as_text=True)


@pytest.mark.parametrize("width", [800, 2400])  # kept at its own width, and resized
def test_a_photo_keeps_no_comment_profile_or_xmp(client, db, width):
    """A JPEG comment (cameras and editors write names, places, serial numbers there), an ICC
    profile or an XMP packet never reaches a published file, at any of its widths."""
    image = Image.new("RGB", (width, 600), (20, 120, 30))
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Taken at 12 Elm St by Rosa</x:xmpmeta>'
    image.save(out, "JPEG", comment=b"Rosa at 12 Elm St", icc_profile=b"ICCSECRET" * 20, xmp=xmp)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).info["comment"] == b"Rosa at 12 Elm St"
    org = _host(db)
    event = make_event(org)
    client.login("host@example.org")
    assert upload(client, event, data).status_code == 302
    client.logout()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    names = set(re.findall(rf"/media/(e{event.id}-[0-9a-f]{{24}}-\d+\.jpg)", page))
    assert names
    for name in names:
        served = client.get(f"/media/{name}").get_data()
        assert b"Elm St" not in served and b"ICCSECRET" not in served and b"xmpmeta" not in served
        info = Image.open(io.BytesIO(served)).info
        assert not {"comment", "icc_profile", "xmp", "exif"} & set(info)
