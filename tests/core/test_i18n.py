"""Language selection and the completeness of the Spanish catalog."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "coalition/translations/es/LC_MESSAGES/messages.po"


def test_accept_language_picks_spanish(client):
    body = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="es">' in body
    assert "Iniciar sesión" in body or "Inicia sesión" in body


def test_switcher_cookie_beats_the_browser(client):
    response = client.submit("/language", {"language": "es", "next": "/orgs"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/orgs")
    body = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in body


def test_the_account_language_beats_the_cookie(client):
    UserFactory(email="ana@example.org", language="es")
    client.login("ana@example.org")
    body = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in body


def test_form_errors_are_in_the_visitors_language(client):
    token = client.csrf_token("/login")
    response = client.post(
        "/register",
        data={"csrf_token": token, "name": "", "email": "x", "password": "", "confirm": ""},
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 400
    assert "This field is required" not in response.get_data(as_text=True)


def test_every_spanish_message_is_translated():
    catalog = read_po(CATALOG.open("rb"))
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_the_catalog_has_every_message_of_the_source(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    source_ids = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalog_ids = {m.id for m in read_po(CATALOG.open("rb")) if m.id}
    assert source_ids - catalog_ids == set(), "run `make extract-messages` and translate"
