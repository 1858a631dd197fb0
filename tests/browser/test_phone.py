"""Phone details (issue #14, finding 8): a short header, thumb-sized checkboxes, sections that
look like they open."""

from tests.browser.conftest import PHONE


def test_the_phone_header_is_short_and_controls_are_thumb_sized(live, visitor):
    tab = visitor(PHONE, locale="es-ES")
    tab.sign_in("owner@example.org")
    tab.goto("/orgs/valley-workers-center/events/new")
    page = tab.page
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 112, header
    box = page.locator("#is_bilingual").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box
    marker = page.evaluate(
        "getComputedStyle(document.querySelector('details summary'), '::before').borderLeftWidth"
    )
    assert float(marker.removesuffix("px")) >= 8
