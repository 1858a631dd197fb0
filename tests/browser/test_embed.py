"""The embedded calendar inside another site's page, in Chromium: it renders in the frame and
sizes it, while every other page of ours refuses to be framed."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def member_site(tmp_path, live):
    """A member organization's website: another origin (its own server and port) whose page
    frames our embed (with the snippet's script) and, for contrast, our calendar page."""
    (tmp_path / "index.html").write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Valley WC</title>
        </head><body><h1>Our events</h1>
        <iframe id="embed" src="{live.url}/embed/orgs/valley-workers-center/calendar"
          title="Upcoming events" data-coalition-embed width="100%" height="150"></iframe>
        <script src="{live.url}/static/embed-parent.js"></script>
        <iframe id="page" src="{live.url}/calendar" title="Calendar" width="100%"
          height="300"></iframe>
        </body></html>"""
    )
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_the_embed_renders_in_another_sites_frame_and_other_pages_refuse(
    chromium, live, member_site
):
    # A plain context: the page's own CSP applies (no bypass).
    context = chromium.new_context(viewport={"width": 800, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text))
        page.goto(member_site)
        assert page.url.startswith("http://localhost:")  # not the app's origin
        embed = page.frame_locator("#embed")
        # The list renders inside the frame...
        assert embed.locator("h1").inner_text() == "Upcoming events: Valley Workers Center"
        titles = embed.locator(".embed-title a")
        assert titles.count() >= 1
        # ...its links open the full site in a new tab...
        rsvp = embed.locator("a.embed-rsvp").first
        assert rsvp.get_attribute("target") == "_blank"
        assert rsvp.get_attribute("rel") == "noopener"
        assert rsvp.get_attribute("href").startswith(live.url + "/events/")
        # ...and the snippet's script makes the frame as tall as the list.
        page.wait_for_function(
            "document.getElementById('embed').getBoundingClientRect().height > 200"
        )
        # Our calendar page, framed the same way, is refused by the browser.
        page.wait_for_timeout(300)
        page_frame = page.locator("#page").element_handle().content_frame()
        assert page_frame is not None
        assert "Upcoming actions and events" not in (page_frame.content() or "")
        assert page_frame.locator("main").count() == 0
        assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused)
        # No cookie was set for our site by the embed.
        assert [c for c in context.cookies() if "127.0.0.1" in c["domain"]] == []
    finally:
        context.close()


@pytest.fixture
def framing_site(tmp_path, live):
    """A member site whose page frames the embed twice with the snippet's script: a frame
    taller than the list (the snippet's 600 px on a short list) and one shorter."""
    embed = f"{live.url}/embed/orgs/valley-workers-center/calendar?hl=es"
    (tmp_path / "index.html").write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Valley WC</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
        <iframe id="tall" src="{embed}" title="Tall" data-coalition-embed width="100%"
          height="3000"></iframe>
        <iframe id="short" src="{embed}" title="Short" data-coalition-embed width="100%"
          height="150"></iframe>
        <script src="{live.url}/static/embed-parent.js" async></script>
        </body></html>"""
    )
    handler = partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_the_snippets_frame_fits_its_list_on_a_phone(chromium, live, framing_site):
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(framing_site)
        for frame_id in ("tall", "short"):
            frame = page.frame_locator(f"#{frame_id}")
            assert frame.locator("h1").inner_text().startswith("Próximos eventos")
            # The list's height (its last line and the page's padding) and the frame's inner
            # height agree within a few pixels: no blank band, no inner scroll bar.
            inner = content = 0
            for _attempt in range(20):  # the script sizes the frame after its list loads
                page.wait_for_timeout(150)
                inner = page.evaluate(f"document.getElementById('{frame_id}').clientHeight")
                content = frame.locator("body").evaluate(
                    "(body) => Math.ceil(body.getBoundingClientRect().bottom"
                    " + parseFloat(getComputedStyle(body).marginBottom))"
                )
                if abs(inner - content) <= 4:
                    break
            assert abs(inner - content) <= 4, (frame_id, inner, content)
    finally:
        context.close()
