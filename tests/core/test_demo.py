"""The demo (`make run`): any port, and the README true about two-step sign-in (issue #22,
item 10): like production, the demo asks admins, owners and organizers to set it up at their
first sign-in, and `make run` says so."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*args: str) -> str:
    result = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True,
                            text=True, check=True, timeout=60)  # fmt: skip
    return result.stdout


def test_make_run_takes_a_port_and_links_follow_it():
    default = _dry_run()
    assert "--port 5000" in default and "BASE_URL=http://127.0.0.1:5000" in default
    other = _dry_run("PORT=5123")
    assert "--port 5123" in other and "--port 5000" not in other
    # Links in the demo's mail and feeds point at the port it serves.
    assert "BASE_URL=http://127.0.0.1:5123" in other
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=" in readme


@pytest.fixture
def demo_app(monkeypatch):
    """The app as `make run` builds it (development), on an in-memory database with the demo."""
    from coalition import create_app
    from coalition.demo import seed
    from coalition.extensions import db

    monkeypatch.delenv("REQUIRE_TWO_FACTOR", raising=False)
    app = create_app({"CONFIG_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False,
                      "FEED_STORE_URL": None})  # fmt: skip
    with app.app_context():
        db.create_all()
        seed()
        db.session.commit()
    return app  # no context left pushed: each request has its own (and its own `g`)


def test_the_demo_asks_organizers_to_set_up_two_step_sign_in_as_the_readme_says(demo_app):
    from coalition.demo import DEMO_PASSWORD

    client = demo_app.test_client()
    response = client.post("/login", data={"email": "organizer@example.org",
                                           "password": DEMO_PASSWORD})  # fmt: skip
    assert response.status_code == 302
    assert "/account/two-factor" in client.get("/calendar").headers.get("Location", "")
    member = demo_app.test_client()
    member.post("/login", data={"email": "member@example.org", "password": DEMO_PASSWORD})
    answer = member.get("/calendar")
    assert answer.status_code == 200, answer.headers.get("Location")  # optional for members
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"demo[^.]*two-step sign-in[^.]*first sign-in", readme, re.I | re.S)
    assert "REQUIRE_TWO_FACTOR=0 make run" in readme
