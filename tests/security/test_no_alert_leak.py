"""Nothing of a rapid-response alert is ever public (issue #16): an anonymous crawl of every page,
feed and API answer it can reach finds no alert text, town, place or note, and no link to one."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from coalition.extensions import db
from coalition.rapid import operations as ops
from coalition.rapid.models import Responder
from tests.factories import make_event
from tests.rapid.conftest import add_responder, alert_input, dispatcher, org  # noqa: F401

SECRETS = ["Zyxtown", "Qwerty Plaza 77", "NOTE-SECRET-4242", "Marisol Quintana", "+16175559999"]
#: Where the crawl starts besides every route without arguments.
STARTS = [
    "/", "/calendar", "/calendar.ics", "/api/v1/events", "/api/v1/orgs", "/api/openapi.json",
    "/calendar?q=Zyxt", "/api/v1/events?q=Qwerty", "/orgs/pvwc", "/orgs/pvwc/calendar.ics",
    "/rapid", "/orgs/pvwc/rapid/alerts", "/orgs/pvwc/rapid/roster", "/admin/rapid",
]  # fmt: skip
_LINKS = re.compile(r'(?:href|src|action)="([^"#]+)"')
_JSON_LINKS = re.compile(r'"(/(?:api|events|orgs|calendar)[^"\s]*)"')


def test_an_anonymous_crawl_finds_no_alert(client, app, org, dispatcher):  # noqa: F811
    make_event(org, title="Know your rights workshop")
    add_responder(org, phone="+16175559999", name="Marisol Quintana", towns=("Zyxtown",))
    alert = ops.open_alert(
        org, dispatcher, alert_input(town="Zyxtown", place="Qwerty Plaza 77",
                                     note="NOTE-SECRET-4242", kind="checkpoint")
    )  # fmt: skip
    drill = ops.open_alert(org, dispatcher, alert_input(town="Zyxtown", is_drill=True))
    ops.send_update(alert, dispatcher, "NOTE-SECRET-4242 update", "all")
    ops.close_alert(drill, "Qwerty Plaza 77 outcome")
    db.session.commit()
    assert db.session.query(Responder).count() == 1

    starts = list(STARTS)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            starts.append(rule.rule)
    seen: set[str] = set()
    queue = deque(starts)
    pages = 0
    while queue and pages < 600:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        pages += 1
        # Pictures and PDFs (flyers) are bytes; their HTML twins are crawled as text.
        body = response.get_data().decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} in {path} ({response.status_code})"
        assert "/rapid/a/" not in body and "/rapid/me/" not in body, path
        if response.status_code in (301, 302, 303) and "Location" in response.headers:
            location = urlsplit(urljoin("http://localhost" + path, response.headers["Location"]))
            if location.netloc in ("", "localhost"):
                queue.append(location.path + (f"?{location.query}" if location.query else ""))
            continue
        links = _LINKS.findall(body) if "html" in response.content_type else []
        links += _JSON_LINKS.findall(body) if "json" in response.content_type else []
        for link in links:
            target = urlsplit(urljoin("http://localhost" + path, link.replace("&amp;", "&")))
            if target.netloc in ("", "localhost") and not target.path.startswith("/static"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert pages > 30  # the crawl did reach the site (pages, feeds, API)
    # The dispatcher's own pages do show the alert: the crawl would have seen it if it leaked.
    client.login(dispatcher.email)
    assert "Qwerty Plaza 77" in client.get(f"/orgs/pvwc/rapid/alerts/{alert.id}").get_data(
        as_text=True
    )
