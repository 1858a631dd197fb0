"""Rapid-response alert benchmark (issue 16).

An alert to `--responders` (800) responders, half by text and half by email (`--email-share`),
sent through the dispatcher's phone form (`POST /orgs/<slug>/rapid/alerts/new`), delivered by
`flask worker` itself (a subprocess, default settings: delivery every MAIL_DELIVERY_INTERVAL
seconds) to a local SMTP sink (aiosmtpd) and a local server speaking Twilio's Messages API
(`tests/sms/fake_provider.py`). Measures, from the moment "Send alert" is pressed:

- the form's answer (every answer row and message queued, one transaction);
- the first and the last message accepted by the SMTP sink and by the SMS server;
- the first "going" answer processed: as soon as the first text arrives, its responder replies
  "1" through the signed inbound webhook (`POST /sms/inbound`), and the time is taken when the
  app has recorded it.

With `--kills N` the worker is killed (SIGKILL) N times while the alert goes out (at even
shares of the messages accepted) and started again at once, as a supervisor would; the copies
each recipient got are counted (texts: exactly one each; email: at most one extra per kill).

Usage: .venv/bin/python bench/alert_bench.py [--responders 800] [--email-share 0.5] [--kills 2]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DBNAME]
Without --database-url a fresh SQLite file in a temporary folder is used. The database given is
emptied (tables dropped and re-created).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders_bench import CONTACT_KEYS, free_port, stop  # noqa: E402
from config import Config  # noqa: E402
from tests.sms.fake_provider import AUTH_TOKEN, FakeProvider  # noqa: E402

PASSWORD = "bench-dispatcher-password"


class Sink:
    def __init__(self):
        self.total = 0
        self.first = self.last = 0.0
        self.lock = threading.Lock()
        self.copies: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.copies.update(envelope.rcpt_tos)
            self.total += 1
            self.last = time.perf_counter()
            if self.total == 1:
                self.first = self.last
        return "250 OK"


def make_app(url: str, smtp_port: int, provider: FakeProvider, **extra):
    from coalition import create_app

    return create_app(
        {
            "CONFIG_NAME": "production",
            "SECRET_KEY": "bench-not-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://127.0.0.1:5000",
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            **CONTACT_KEYS,
            **provider.config(),
            **extra,
        }
    )


def seed(app, count: int, email_share: float) -> None:
    from coalition.auth.models import User
    from coalition.extensions import db
    from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus
    from coalition.rapid import operations as ops
    from coalition.rapid.models import Responder
    from coalition.settings.operations import set_setting

    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organization(name="Bench Workers", slug="bench", status=OrgStatus.active)
        user = User(email="dispatch@example.org", name="Dispatch", language="en")
        user.set_password(PASSWORD)
        org.memberships.append(Membership(user=user, role=OrgRole.member, is_dispatcher=True))
        db.session.add(org)
        db.session.flush()
        by_email = int(count * email_share)
        for n in range(count):
            responder = Responder(org_id=org.id, manage_secret=f"secret-{n}")
            email = n < by_email
            ops._apply(
                responder,
                ops.ResponderInput(
                    name=f"Responder {n}", email=f"r{n}@example.org" if email else None,
                    phone=None if email else f"+1617555{n:04d}", use_sms=not email,
                    use_email=email, locale=("en", "es", "ht", "pt")[n % 4],
                    towns=["Springfield"], languages=["en", "es"], roles=["responder"],
                    training="Rapid response 101", trained_on=None, is_always=True,
                    zone="America/New_York",
                ),
            )  # fmt: skip
            db.session.add(responder)
        set_setting("sms_daily_cap", 0)  # the default cap (500 a day) would hold an alert back
        db.session.commit()
        db.engine.dispose()


def worker_env(url: str, smtp_port: int, provider: FakeProvider) -> dict:
    env = dict(os.environ)
    env.update(
        COALITION_ENV="production", SECRET_KEY="bench-not-secret", **CONTACT_KEYS,
        DATABASE_URL=url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
        RATELIMIT_ENABLED="0", BASE_URL="http://127.0.0.1:5000",
        **{key: str(value) for key, value in provider.config().items()},
    )  # fmt: skip
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responders", type=int, default=800)
    parser.add_argument("--email-share", type=float, default=0.5)
    parser.add_argument("--database-url")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--kills", type=int, default=0)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="coalition-alert-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    provider = FakeProvider().start()
    app = make_app(url, smtp_port, provider)
    seed(app, args.responders, args.email_share)
    expected_email = int(args.responders * args.email_share)
    expected_sms = args.responders - expected_email

    def start_worker():
        return subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker"], cwd=ROOT,
            env=worker_env(url, smtp_port, provider), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    worker = start_worker()
    kills = [(n + 1) * args.responders // (args.kills + 1) for n in range(args.kills)]
    killed_at = []
    try:
        time.sleep(3)  # the worker is up and its first (empty) delivery run is done
        client = app.test_client()
        with app.app_context():
            response = client.post(
                "/login", data={"email": "dispatch@example.org", "password": PASSWORD}
            )
            assert response.status_code == 302, response.status_code
            form = {"kind": "raid", "town": "Springfield", "place": "Main St & 5th", "needed": 5}
            sent_at = time.perf_counter()
            response = client.post("/orgs/bench/rapid/alerts/new", data=form)
            queued_at = time.perf_counter()
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        sms_first = sms_last = going_at = None
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            count = len(provider.state.requests)
            now = time.perf_counter()
            if kills and count + sink.total >= kills[0]:
                kills.pop(0)
                worker.kill()  # SIGKILL, mid-send
                worker.wait()
                killed_at.append((now - sent_at, count + sink.total))
                worker = start_worker()
            if count and sms_first is None:
                sms_first = now
                going_at = reply_going(app, provider.state.requests[0]["To"]) - sent_at
            if count >= expected_sms and sms_last is None:
                sms_last = now
            if sms_last is not None and sink.total >= expected_email:
                break
            time.sleep(0.01)
        with app.app_context():
            from coalition.extensions import db
            from coalition.mail.models import OutgoingEmail

            states = dict(
                db.session.execute(
                    sa.select(OutgoingEmail.status, sa.func.count()).group_by(OutgoingEmail.status)
                ).all()
            )
            db.engine.dispose()
    finally:
        stop(worker)
        provider.stop()
        controller.stop()

    def since(moment):
        return f"{moment - sent_at:6.2f} s" if moment else "   (not reached)"

    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    interval = os.environ.get("MAIL_DELIVERY_INTERVAL") or Config.MAIL_DELIVERY_INTERVAL
    print(f"alert to {args.responders} responders ({expected_sms} by text, {expected_email} by "
          f"email), {backend}, flask worker (delivery every {interval} s)")  # fmt: skip
    print(f"  form answered (all queued, one transaction): {queued_at - sent_at:6.2f} s")
    print(f"  first text accepted:                         {since(sms_first)}")
    print(f"  last text accepted ({len(provider.state.requests):4d}):  "
          f"                    {since(sms_last)}")  # fmt: skip
    print(f"  first email accepted:                        {since(sink.first or None)}")
    print(f"  last email accepted ({sink.total:4d}):                   "
          f"{since(sink.last if sink.total >= expected_email else None)}")  # fmt: skip
    print(f"  first 'going' answer processed (signed text reply): "
          f"{going_at:6.2f} s" if going_at is not None else "  no going answer")  # fmt: skip
    print(f"  outbox: {states}")
    for moment, done in killed_at:
        print(f"  worker killed (SIGKILL) at {moment:6.2f} s, {done} messages accepted; restarted")
    texts = Counter(r["To"] for r in provider.state.requests)
    print(
        f"  texts: {len(texts)} numbers reached, {sum(texts.values())} requests, "
        f"{sum(1 for n in texts.values() if n > 1)} numbers texted twice"
    )
    print(
        f"  emails: {len(sink.copies)} addresses reached, {sum(sink.copies.values())} "
        f"accepted, {sum(1 for n in sink.copies.values() if n > 1)} addresses with a copy"
    )
    reached = [m for m in (sms_last, sink.last if sink.total >= expected_email else None) if m]
    if len(reached) == 2:
        print(f"  last of {args.responders} recipients reached: {max(reached) - sent_at:6.2f} s")


def reply_going(app, number: str) -> float:
    """The responder texts "1" through the signed webhook; returns when the app recorded it."""
    from twilio.request_validator import RequestValidator

    form = {"From": number, "To": "+16175550000", "Body": "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        app.config["BASE_URL"] + "/sms/inbound", form
    )
    with app.app_context():
        response = app.test_client().post(
            "/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.status_code
        done = time.perf_counter()
        from coalition.extensions import db
        from coalition.rapid.models import Answer

        assert db.session.scalar(
            sa.select(sa.func.count(Answer.id)).where(Answer.state == "going")
        ) == 1  # fmt: skip
        db.session.remove()
    return done


if __name__ == "__main__":
    main()
