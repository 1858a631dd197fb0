"""The one long-lived process that owns the scheduler (never started inside a web worker)."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app

log = logging.getLogger("coalition.worker")


class _Outage:
    """The database as the jobs see it: its outage is logged once when it begins and once when
    it ends, not as a traceback per job run (every 2 s per channel while it lasts)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since: datetime | None = None

    def failed(self, job: str, exc: Exception) -> None:
        with self.lock:
            if self.since is not None:
                return
            self.since = datetime.now(UTC)
        log.error("database unreachable (job %s): jobs wait and retry on their schedule: %s",
                  job, str(exc).splitlines()[0][:300])  # fmt: skip

    def worked(self) -> None:
        with self.lock:
            since, self.since = self.since, None
        if since is not None:
            seconds = (datetime.now(UTC) - since).total_seconds()
            log.warning("database reachable again after %.0f s; jobs run as before", seconds)


database = _Outage()


def _job(app, func):
    """Run `func` in an app context; the session is cleaned up whatever happens."""

    def run():
        from coalition.core.errors import DATABASE_DOWN
        from coalition.extensions import db

        with app.app_context():
            try:
                func()
            except DATABASE_DOWN as exc:
                database.failed(func.__name__, exc)
                with suppress(Exception):
                    db.session.rollback()
            except Exception:
                log.exception("job %s failed", func.__name__)
                db.session.rollback()
            else:
                database.worked()
            finally:
                with suppress(Exception):
                    db.session.remove()

    run.__name__ = func.__name__
    return run


def build_scheduler(app) -> BlockingScheduler:
    """One scheduler, every job locked against overlap and coalesced after downtime."""
    from coalition.cache_store import redis_url
    from coalition.mail.delivery import active_channels

    with app.app_context():
        channels = active_channels()
    jobs = [
        # (job, trigger, trigger arguments, id, name). One delivery job per channel, each in a
        # thread of its own: a hung SMTP relay (each call may take MAIL_TIMEOUT) never holds
        # the texts back, rapid-response alerts included. Delivery starts at once and each run
        # drains its channel's due queue, so no batch waits for the next interval.
        (_deliverer(channel), "interval", {"seconds": app.config["MAIL_DELIVERY_INTERVAL"],
                                           "next_run_time": datetime.now(UTC)},
         f"deliver-{channel.value}", f"deliver {channel.value}")
        for channel in channels
    ] + [
        (_send_reminders, "interval", {"minutes": 1}, "send-reminders", "send due reminders"),
        (_close_waitlists, "interval", {"minutes": 5}, "close-rsvps",
         "close RSVPs past their closing time"),
        (_purge, "cron", {"hour": 4}, "purge-expired", "purge expired personal data"),
        (_ring_alerts, "interval", {"seconds": 30}, "rapid-rings",
         "ring the next responders of alerts that lack people"),
        (_purge_alerts, "interval", {"hours": 1}, "rapid-purge",
         "erase closed alerts and drills past their time (counts stay)"),
        (_extend_series, "cron", {"hour": 3}, "extend-series",
         "materialize the dates of every series (open-ended ones ahead)"),
        (_poll_sources, "interval", {"minutes": 1}, "poll-sources",
         "poll the subscribed calendars whose time has come (each in its time and size budget)"),
    ]  # fmt: skip
    if redis_url(app.config):  # only a shared store helps the web processes
        jobs.append((_warm_feeds, "interval", {"minutes": 1}, "warm-feeds",
                     "build changed events' feed fragments into Redis"))  # fmt: skip
    # Threads enough for every job at once (the delivery jobs may each wait on their channel).
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(len(jobs) + 2)}
    )
    for func, trigger, arguments, job_id, name in jobs:
        scheduler.add_job(
            _job(app, func), trigger, id=job_id, name=name, max_instances=1, coalesce=True,
            **arguments,
        )  # fmt: skip
    scheduler.add_job(
        _job(app, _plan_clock_changes(app, scheduler)), "interval", minutes=1,
        next_run_time=datetime.now(UTC), id="clock-changes", max_instances=1, coalesce=True,
        name="apply changes due by the clock (places revealed, RSVPs opening and closing, dates "
        "ending) and wake at each one of the next minute",
    )  # fmt: skip
    return scheduler


def _deliverer(channel):
    def deliver() -> None:
        from coalition.mail.delivery import deliver_due

        deliver_due(channels=[channel])

    deliver.__name__ = f"deliver_{channel.value}"
    return deliver


#: How far ahead the worker plans a wake-up at each moment something changes by the clock.
CLOCK_LOOKAHEAD_SECONDS = 90


def _apply_clock_changes() -> None:
    from coalition.events.schedule import apply_due
    from coalition.extensions import db

    apply_due()
    db.session.commit()


def _plan_clock_changes(app, scheduler):
    """Apply what is due, then add a one-off run at each moment due within the look-ahead, so
    that a place hidden "until 2 hours before" reaches feeds at that moment, not a minute late
    (`coalition/events/schedule.py`)."""

    def plan_clock_changes() -> None:
        from datetime import timedelta

        from coalition.events.schedule import due_moments

        _apply_clock_changes()
        now = datetime.now(UTC)
        for moment in due_moments(now, timedelta(seconds=CLOCK_LOOKAHEAD_SECONDS)):
            scheduler.add_job(
                _job(app, _apply_clock_changes), "date", run_date=moment,
                id=f"clock-{moment.isoformat()}", replace_existing=True, misfire_grace_time=300,
                name="apply changes due by the clock",
            )  # fmt: skip

    return plan_clock_changes


def _extend_series() -> None:
    from coalition.events.operations import extend_series
    from coalition.extensions import db

    extend_series()
    db.session.commit()


def _poll_sources() -> None:
    """Subscribed calendars (coalition/sources): each source commits on its own, so a broken
    feed is recorded on its source and the others go on."""
    from coalition.sources.operations import poll_due

    poll_due()


def _warm_feeds() -> None:
    from coalition.feeds.listing import warm_fragments

    warm_fragments()


class _StillDraining(logging.Filter):
    """A delivery run that outlasts the interval (a queue of thousands being drained) makes the
    scheduler skip the next runs and say so every interval: expected, so not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("maximum number of running instances" in message and "deliver" in message)


def run_worker() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_StillDraining())
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    folder = app.config["MAIL_FOLDER"] if app.config["MAIL_BACKEND"] == "folder" else None
    sms_folder = app.config["SMS_FOLDER"] if app.config["SMS_BACKEND"] == "folder" else None
    log.info(
        "worker started%s%s",
        f"; mail is written to {folder}" if folder else "",
        f"; texts are written to {sms_folder}" if sms_folder else "",
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker stopped")


def _send_reminders() -> None:
    from coalition.reminders.operations import send_due

    send_due()


def _close_waitlists() -> None:
    from coalition.extensions import db
    from coalition.rsvps.operations import close_waitlists

    close_waitlists()
    db.session.commit()


def _ring_alerts() -> None:
    from coalition.extensions import db
    from coalition.rapid.operations import ring_due

    ring_due()
    db.session.commit()


def _purge_alerts() -> None:
    from coalition.extensions import db
    from coalition.rapid.operations import purge_alerts

    purge_alerts()
    db.session.commit()


def _purge() -> None:
    from coalition.erasure import purge_expired
    from coalition.extensions import db

    purge_expired()
    db.session.commit()
