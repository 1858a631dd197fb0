"""CLI: `flask --app wsgi <command>`."""

from __future__ import annotations

import secrets

import click
from flask import Flask

from coalition.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(deliver_mail)


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
