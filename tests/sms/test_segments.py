"""Segment counts: GSM-7 vs UCS-2, in the languages of the people we text."""

import pytest

from coalition.sms.segments import MAX_SEGMENTS, count_segments, fit


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("Reminder: May Day rally tomorrow 10am, City Hall. Reply STOP to stop.", "GSM-7", 1),
        ("x" * 160, "GSM-7", 1),
        ("x" * 161, "GSM-7", 2),
        ("x" * 306, "GSM-7", 2),
        ("x" * 307, "GSM-7", 3),
        # Extension characters take two septets.
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        # Spanish: ñ, é, ü, ¿ and ¡ are in GSM-7; á, í, ó and ú are not.
        ("¿Vienes mañana? ¡Te esperamos en la marcha! Niños bienvenidos.", "GSM-7", 1),
        ("Recordatorio: la reunión es mañana a las 6 p. m. en el salón de la iglesia.", "UCS-2", 2),
        # Haitian Creole: è and ò are in GSM-7; a typographic apostrophe is not.
        ("Nou tann ou demen. Pote pyès idantite ou.", "GSM-7", 1),
        ("Rapèl: reyinyon an demen a 6è nan legliz la. Pa bliye vini!", "GSM-7", 1),
        ("Manifestasyon an kòmanse a 10è. Nou la pou ou.", "GSM-7", 1),
        ("Pa bliye: n’ap tann ou demen a 10è nan legliz la, kòmanse a lè.", "UCS-2", 1),
        ("Rapèl: " + "n’ap tann ou demen a 10è. " * 3, "UCS-2", 2),
        ("ó" * 70, "UCS-2", 1),
        ("ó" * 71, "UCS-2", 2),
        # One accented letter halves what fits.
        ("x" * 100, "GSM-7", 1),
        ("x" * 99 + "á", "UCS-2", 2),
    ],
)
def test_segments(text, encoding, segments):
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


@pytest.mark.parametrize("text", ["a" * 1000, "ó" * 1000, "Kòmanse " * 100, "€" * 400])
def test_texts_are_cut_to_three_segments(text):
    cut = fit(text)
    assert count_segments(cut).segments == MAX_SEGMENTS
    assert cut.endswith("...")
    assert text.startswith(cut[:-3].rstrip())


def test_short_texts_are_left_alone():
    assert fit("Vigil at 7pm") == "Vigil at 7pm"
