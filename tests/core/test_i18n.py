"""Language selection, and complete catalogs for every language the interface ships in."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import wtforms
from babel.messages.pofile import read_po

from coalition.events.formatting import format_when
from coalition.mail.models import OutgoingEmail
from config import Config
from tests.factories import UserFactory, make_event

ROOT = Path(__file__).resolve().parents[2]
#: Every interface language but English (the source), with its gettext plural rule.
SHIPPED = {
    "es": "nplurals=2; plural=(n != 1);",
    "ht": "nplurals=2; plural=(n != 1);",
    "pt": "nplurals=2; plural=(n > 1);",
}
#: Placeholders of both styles, and HTML tags, which a translation must keep.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|</?[a-z][^>]*>")


def _plain(text: str) -> str:
    """Babel's thin and no-break spaces as plain spaces."""
    return re.sub("[\u2009\u202f\xa0]", " ", text)


def _catalog(code: str):
    return read_po((ROOT / f"coalition/translations/{code}/LC_MESSAGES/messages.po").open("rb"))


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


@pytest.mark.parametrize(
    ("code", "required"),
    [
        ("es", "Este campo es obligatorio."),
        ("ht", "Ou dwe ranpli chan sa a."),
        ("pt", "Este campo é obrigatório."),
    ],
)
def test_form_errors_are_in_the_visitors_language(client, code, required):
    token = client.csrf_token("/login")
    response = client.post(
        "/register",
        data={"csrf_token": token, "name": "", "email": "x", "password": "", "confirm": ""},
        headers={"Accept-Language": code},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "This field is required" not in body
    assert required in body


def test_our_catalogs_hold_every_message_of_wtforms():
    wtforms_pot = Path(wtforms.__file__).parent / "locale/wtforms.pot"
    theirs = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(wtforms_pot.open("rb"))}
    ours = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog("ht")}
    assert theirs - {""} - ours == set(), "add them to coalition/wtforms_messages.py"


def test_every_interface_language_has_a_catalog_under_test():
    assert set(Config.LANGUAGES) == {"en", *SHIPPED}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_is_translated(code):
    catalog = _catalog(code)
    missing = [
        m.id
        for m in catalog
        if m.id
        and (
            m.fuzzy
            or not m.string
            or (m.pluralizable and (len(m.string) != catalog.num_plurals or not all(m.string)))
        )
    ]
    assert missing == []


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_keep_placeholders_and_markup(code):
    wrong = []
    for m in _catalog(code):
        if not m.id:
            continue
        ids = m.id if m.pluralizable else (m.id,)
        strings = m.string if m.pluralizable else (m.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        if any(sorted(PLACEHOLDER.findall(s)) != expected for s in strings[-1:]) or any(
            not set(PLACEHOLDER.findall(s)) <= set(PLACEHOLDER.findall("".join(ids)))
            for s in strings
        ):
            wrong.append((m.id, m.string))
    assert wrong == []


@pytest.mark.parametrize("code", SHIPPED)
def test_each_catalog_has_its_plural_rule(code):
    assert _catalog(code).plural_forms == SHIPPED[code]


@pytest.mark.parametrize(
    ("code", "sign_in"), [("es", "Iniciar sesión"), ("ht", "Konekte"), ("pt", "Entrar")]
)
def test_pages_are_in_each_language(client, code, sign_in):
    body = client.get("/login", headers={"Accept-Language": code}).get_data(as_text=True)
    assert f'<html lang="{code}">' in body
    assert sign_in in body
    assert "Sign in" not in body


def test_the_switcher_names_each_language_in_that_language(client):
    body = client.get("/", headers={"Accept-Language": "pt"}).get_data(as_text=True)
    options = dict(re.findall(r'<option value="(\w+)" lang="\w+"[^>]*>([^<]+)</option>', body))
    assert options == {
        "en": "English",
        "es": "Español",
        "ht": "Kreyòl ayisyen",
        "pt": "Português",
    }


#: 1 May 2027, 12:00-14:00 in Boston (make_event's rally), as each language writes it.
EVENT_DAY = {
    "ht": ("samdi 1 me 2027", "Rasanbleman"),
    "pt": ("sábado, 1 de maio de 2027", "Ato"),
}


@pytest.mark.parametrize("code", EVENT_DAY)
def test_an_event_page_gives_its_date_and_type_in_each_language(client, code):
    day, type_name = EVENT_DAY[code]
    event = make_event()
    occurrence = event.occurrences[0]
    page = client.get(
        f"/events/{event.id}/occurrences/{occurrence.id}", headers={"Accept-Language": code}
    )
    body = _plain(page.get_data(as_text=True))
    assert page.status_code == 200
    assert f"{day} · 12:00 – 14:00 EDT" in body
    assert type_name in body


@pytest.mark.parametrize(
    ("code", "subject", "line"),
    [
        ("ht", "Ou enskri: Rally for TPS", "Bonjou Lupe,"),
        ("pt", "Inscrição confirmada: Rally for TPS", "Olá, Lupe,"),
    ],
)
def test_the_confirmation_email_is_in_the_persons_language(client, db, code, subject, line):
    event = make_event()
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    form = {"name": "Lupe", "email": "lupe@example.org", "phone": "", "language": code,
            "party_size": "1", "consents_to_reminders": "y"}  # fmt: skip
    assert client.submit(url, form, page=url).status_code == 200  # "check your messages"
    email = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_confirmation")
    )
    assert email.subject == subject
    assert line in email.body_text
    assert f"{EVENT_DAY[code][0]} · 12:00 – 14:00 EDT" in _plain(email.body_text)
    assert EVENT_DAY[code][0] in email.body_html


def test_creole_dates_have_creole_names_on_french_patterns(app):
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)  # 18:30 in Boston
    end = datetime(2026, 12, 27, 2, 0, tzinfo=UTC)
    same_day = format_when(start, start.replace(hour=23, minute=59), zone, locale="ht")
    assert _plain(same_day) == "jedi 24 desanm 2026 · 18:30 – 18:59 EST"
    days = format_when(start, end, zone, locale="ht")
    assert _plain(days) == "24 des 2026 18:30 – 26 des 2026 21:00 EST"
    all_day = format_when(start, end, zone, all_day=True, locale="ht")
    assert "jed" in all_day and "sam" in all_day and "des" in all_day


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
    for code in SHIPPED:
        catalog_ids = {m.id for m in _catalog(code) if m.id}
        assert source_ids - catalog_ids == set(), f"run `make extract-messages`, translate {code}"


def test_an_admin_names_a_type_in_creole_and_portuguese(client, db):
    from coalition.events.models import EventType

    event = make_event()
    UserFactory(email="admin@example.org", is_admin=True)
    client.login("admin@example.org")
    rally = db.session.scalar(sa.select(EventType).where(EventType.slug == "rally"))
    names = {"name_en": "Rally", "name_es": "Mitin", "name_ht": "Gwo rasanbleman", "name_pt": ""}
    response = client.submit(f"/admin/events/types/{rally.id}", names, page="/admin/events/types")
    assert response.status_code == 302
    client.logout()
    url = f"/events/{event.id}"
    assert "Gwo rasanbleman" in client.get(url, headers={"Accept-Language": "ht"}).text
    db.session.expire_all()
    assert rally.names == {"en": "Rally", "es": "Mitin", "ht": "Gwo rasanbleman"}
    assert ">Rally<" in client.get(url, headers={"Accept-Language": "pt"}).text


#: Spanish speaks usted (docs/TRANSLATORS.md). Forms that only tú uses: pronouns and possessives,
#: second-person verbs (preterites in -aste/-iste included), "te" joined to a verb, and tú
#: imperatives at the start of a sentence (in the middle of one the same word is usually the
#: third person: "elige pueblos", "vuelve a aparecer").
_TU_WORDS = re.compile(
    r"(?<![\wáéíóúñ])(?:tú|tu|tus|te|ti|contigo|tuyo|tuya|tienes|puedes|quieres|eres|estás|"
    r"recibes|recibirás|debes|vas|has|necesitas|prefieres|vienes|serás|podrás|estabas|conservas|"
    r"quedas|hablas|despachas|aceptes|quieras|puedas|tengas|hayas|estés|seas|vengas|compartas|hagas|reanudes|"
    r"\w+(?:aste|iste)|\w+(?:ar|er|ir|ándo|iéndo)te|"
    r"déjalo|guárdalo|guárdala|ábrelo|agrégalo|pídeselo|inténtalo|impórtalo|publícalo|publícala)"
    r"(?![\wáéíóúñ])",
    re.IGNORECASE,
)
_TU_IMPERATIVES = re.compile(
    r"(?:^|[.:;¿¡]\s*)(Escribe|Elige|Revisa|Borra|Indica|Mira|Abre|Pega|Confirma|Restablece|Busca|"
    r"Envía|Comparte|Toca|Pide|Cambia|Encuentra|Responde|Crea|Usa|Agrega|Guarda|Marca|Descarga|"
    r"Sigue|Vuelve|Deja|Haz|Pon|Ven|Cancela|Únete|Suscríbete|Danos|Dinos|Cuéntanos|Mantén|Solicita|"
    r"Escanea|Pulsa)(?![\wáéíóúñ])"
)
#: Spanish words those patterns would take for tú forms.
_NOT_TU = {
    "parte",
    "aparte",
    "comparte",
    "reparte",
    "existe",
    "insiste",
    "asiste",
    "consiste",
    "viste",
    "contraste",
    "baste",
    "gaste",
}


def _tu_forms(text: str) -> list[str]:
    found = [m.group(0) for m in _TU_WORDS.finditer(text) if m.group(0).lower() not in _NOT_TU]
    return found + [m.group(1) for m in _TU_IMPERATIVES.finditer(text)]


def test_the_tu_detector_sees_tu_and_not_usted():
    assert _tu_forms("Cuando aceptes, aparecerá en tu página.") == ["aceptes", "tu"]
    assert _tu_forms("Contándote a ti. Pediste unirte.") == [
        "Contándote",
        "ti",
        "Pediste",
        "unirte",
    ]
    assert _tu_forms("¿Olvidaste tu contraseña? Escribe tu correo y te enviamos un enlace.")
    assert _tu_forms("Déjalo vacío. Pídeselo.") == ["Déjalo", "Pídeselo"]
    assert (
        _tu_forms(
            "Cuando acepte, aparecerá en su página. Escriba su correo y le enviamos un enlace: "
            "elige pueblos y vuelve a recibir alertas; los organizadores lo ven. Guárdelo."
        )
        == []
    )


def test_spanish_says_usted():
    catalog = _catalog("es")
    tu = []
    for m in catalog:
        if not m.id:
            continue
        for text in m.string if m.pluralizable else (m.string,):
            if found := _tu_forms(text):
                tu.append((found, text))
    assert tu == []
