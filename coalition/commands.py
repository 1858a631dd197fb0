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
    from coalition.rsvps.operations import purge_expired as purge
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
    from coalition.crypto import rotate_keys as rotate

    try:
        for table, count in rotate(db.session, db.metadata, batch_size=batch_size):
            click.echo(
                f"{table}: {count.rotated} values re-encrypted, {count.current} already under the "
                f"first key, {count.rehashed} hashes recomputed"
            )
    except ContactKeyError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


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
