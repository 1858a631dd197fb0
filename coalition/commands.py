"""CLI: `flask --app wsgi <command>`."""

from __future__ import annotations

import json
import secrets

import click
from flask import Flask

from coalition.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(deliver_mail)
    app.cli.add_command(purge_expired)
    app.cli.add_command(reminders)
    app.cli.add_command(settings)
    app.cli.add_command(rotate_keys)
    app.cli.add_command(sms)
    app.cli.add_command(backup)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Coalition admin", show_default=True)
@click.option(
    "--password",
    envvar="ADMIN_PASSWORD",
    help="Password (or ADMIN_PASSWORD). Without it one is generated and printed once.",
)
def create_admin(email: str, name: str, password: str | None) -> None:
    """Make EMAIL a coalition admin, creating the account if needed."""
    from coalition.auth.forms import PASSWORD_MIN
    from coalition.auth.operations import create_user, find_user

    user = find_user(email)
    if user is None:
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        if len(password) < PASSWORD_MIN:
            raise click.BadParameter(f"at least {PASSWORD_MIN} characters", param_hint="password")
        user = create_user(email=email, name=name, password=password)
        user.is_admin = True
        db.session.commit()
        click.echo(f"Created admin {user.email}.")
        if generated:
            click.echo(f"Password: {password}")
        return
    user.is_admin = True
    if password:
        user.set_password(password)
    db.session.commit()
    click.echo(f"{user.email} is now a coalition admin.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load demo data (idempotent) and print the demo logins."""
    from coalition.demo import DEMO_PASSWORD, seed

    logins = seed()
    db.session.commit()
    click.echo(f"Demo data loaded. Sign in with any of these (password: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<28} {email}")


@click.command("deliver-mail")
def deliver_mail() -> None:
    """Deliver the queued email that is due, once."""
    from coalition.mail.delivery import deliver_due

    report = deliver_due()
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")


@click.command("worker")
def worker() -> None:
    """Run the background worker (scheduled jobs) in this process until stopped."""
    from coalition.worker import run_worker

    run_worker()


@click.command("purge-expired")
def purge_expired() -> None:
    """Erase attendees' personal data of occurrences that ended more than N days ago."""
    from coalition.erasure import purge_expired as purge
    from coalition.settings.operations import get_setting

    erased = purge()
    db.session.commit()
    click.echo(
        f"erased personal data of {erased} RSVPs (retention {get_setting('purge_after_days')} days)"
    )


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def rotate_keys(batch_size: int) -> None:
    """Re-encrypt every contact with the first key of CONTACT_KEYS (and bring the lookup hashes
    in step with CONTACT_HASH_KEY). Safe to run again; afterwards older keys can be removed."""
    from coalition.crypto import ContactKeyError
    from coalition.people.rotation import rotate_keys as rotate

    try:
        for table, count in rotate(db.session, db.metadata, batch_size=batch_size):
            click.echo(
                f"{table}: {count.rotated} values re-encrypted, {count.current} already under the "
                f"first key, {count.rehashed} hashes recomputed"
            )
    except ContactKeyError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


@click.group("backup")
def backup() -> None:
    """Back up the database; check that a backup restores and decrypts (README: Backups and
    keys)."""


def _report(report, *, success: str) -> None:
    """Print a backups Report; exit with status 1 if it names any problem."""
    for line in report.lines:
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"WARNING: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if report.problems:
        click.echo(f"FAILED: {len(report.problems)} problem(s).", err=True)
        raise SystemExit(1)
    click.echo(success)


def _backup_errors():
    """Errors an operator can act on, as one message and exit status 1 (no traceback)."""
    from contextlib import contextmanager

    from coalition.backups.databases import BackupError
    from coalition.crypto import ContactKeyError

    @contextmanager
    def handled():
        try:
            yield
        except (BackupError, ContactKeyError, OSError) as error:
            raise click.ClickException(str(error)) from None

    return handled()


@backup.command("create")
@click.option(
    "--out", default="instance/backups", show_default=True,
    type=click.Path(file_okay=False), help="Folder for the dump and its manifest.",
)  # fmt: skip
def backup_create(out: str) -> None:
    """Dump the database (pg_dump custom format, or a SQLite copy) with a manifest beside it."""
    from pathlib import Path

    from coalition.backups.operations import create_backup

    with _backup_errors():
        dump, report = create_backup(Path(out))
    _report(report, success=f"OK: check it with `flask backup check {dump}`.")


@backup.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--scratch-url",
    help="PostgreSQL server (URL of any database there) where a scratch database is created "
    "and dropped; default: the server of DATABASE_URL.",
)
def backup_check(file: str, scratch_url: str | None) -> None:
    """Restore FILE into a scratch database, compare it with its manifest and decrypt every
    contact with CONTACT_KEYS and CONTACT_RETIRED_KEYS. Exit status 1 on any problem."""
    from pathlib import Path

    import sqlalchemy as sa

    from coalition.backups.operations import check_backup

    with _backup_errors():
        scratch = sa.make_url(_psycopg(scratch_url)) if scratch_url else None
        report = check_backup(Path(file), scratch)
    _report(report, success="OK: this backup restores and every value decrypts.")


@backup.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--into", "into", required=True, help="URL of a new, empty database.")
def backup_restore(file: str, into: str) -> None:
    """Restore FILE into a new, empty database (never the live one) and check it; then point
    DATABASE_URL at it yourself."""
    from pathlib import Path

    import sqlalchemy as sa

    from coalition.backups.operations import restore_backup

    with _backup_errors():
        report = restore_backup(Path(file), sa.make_url(_psycopg(into)))
    _report(report, success="OK: restored and checked. Point DATABASE_URL at it to use it.")


@backup.command("keys")
def backup_keys() -> None:
    """Fingerprints of the configured keys (label retired keys with them where you keep them)."""
    from flask import current_app

    from coalition.backups.keys import configured_keys, fingerprint

    with _backup_errors():
        for key in configured_keys(current_app.config):
            click.echo(f"{key.fingerprint}  {key.source}")
    click.echo(f"{fingerprint(current_app.config['CONTACT_HASH_KEY'])}  CONTACT_HASH_KEY")


def _psycopg(url: str) -> str:
    """postgresql:// and postgres:// URLs with the driver the app uses (as DATABASE_URL)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@click.group("reminders")
def reminders() -> None:
    """Scheduled reminders."""


@reminders.command("list")
@click.option("--limit", default=50, show_default=True)
def reminders_list(limit: int) -> None:
    """What is due when (pending reminders, soonest first)."""
    from coalition.reminders.operations import upcoming

    rows = upcoming(limit)
    if not rows:
        click.echo("no pending reminders")
    for reminder in rows:
        event = reminder.occurrence.event
        click.echo(
            f"{reminder.due_at:%Y-%m-%d %H:%M}Z  {reminder.kind:<11}  "
            f"{reminder.offset_minutes / 60:>5.1f} h before  event {event.id}: {event.title}"
        )


@reminders.command("send-due")
@click.option("--dry-run", is_flag=True, help="Only list what would be sent.")
def reminders_send_due(dry_run: bool) -> None:
    """Queue the email of every reminder that is due now (the worker runs this every minute)."""
    from coalition.reminders.operations import send_due

    if dry_run:
        report = send_due(dry_run=True)
        for reminder in report.would_send:
            due = f"{reminder.due_at:%Y-%m-%d %H:%M}Z"
            click.echo(f"would send reminder {reminder.id} ({reminder.kind}) due {due}")
        click.echo(f"{len(report.would_send)} due")
        return

    def progress(report):
        if (report.queued + report.skipped) % 100 == 0:
            click.echo(f"... {report.queued} queued, {report.skipped} skipped")

    report = send_due(progress=progress)
    click.echo(f"queued {report.queued}, skipped {report.skipped} (no longer useful)")


@click.group("settings")
def settings() -> None:
    """Coalition settings stored in the database."""


@settings.command("list")
def settings_list() -> None:
    """Every setting with its current value."""
    from coalition.settings.operations import DEFAULTS, get_setting

    for key in DEFAULTS:
        click.echo(f"{key} = {json.dumps(get_setting(key))}")


@settings.command("set")
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    """Set KEY to VALUE (JSON: 45, true, [1440, 120])."""
    from coalition.settings.operations import DEFAULTS, set_setting

    if key not in DEFAULTS:
        raise click.BadParameter(f"one of {', '.join(DEFAULTS)}", param_hint="key")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter("a JSON value, e.g. 45, true or [1440, 120]") from exc
    if not isinstance(parsed, type(DEFAULTS[key])):
        raise click.BadParameter(f"a {type(DEFAULTS[key]).__name__}", param_hint="value")
    set_setting(key, parsed)
    db.session.commit()
    click.echo(f"{key} = {json.dumps(parsed)}")


@click.group("sms")
def sms() -> None:
    """Text messages: costs."""


@sms.command("stats")
@click.option("--days", default=30, show_default=True, help="How many days back.")
def sms_stats(days: int) -> None:
    """Texts and segments sent per day (UTC) and organization."""
    from coalition.settings.operations import get_setting
    from coalition.sms.costs import stats

    rows = stats(days=days)
    cap = get_setting("sms_daily_cap")
    click.echo(f"daily cap: {cap or 'none'}")
    click.echo(f"{'day':<10}  {'organization':<40} {'texts':>6} {'segments':>8}")
    for row in rows:
        click.echo(f"{row.day.isoformat():<10}  {row.org or '(site)':<40.40} {row.messages:>6}"
                   f" {row.segments:>8}")  # fmt: skip
    click.echo(f"total: {sum(r.messages for r in rows)} texts, "
               f"{sum(r.segments for r in rows)} segments")  # fmt: skip
