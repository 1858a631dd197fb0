"""CLI commands: create-admin and seed-demo."""

import sqlalchemy as sa

from coalition.auth.models import User
from coalition.orgs.models import Organization


def test_create_admin_creates_an_account_and_prints_a_generated_password(runner, db):
    result = runner.invoke(args=["create-admin", "boss@example.org"])
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
    assert user.is_admin
    password = result.output.split("Password:")[1].strip()
    assert user.check_password(password)


def test_create_admin_promotes_an_existing_account(runner, db):
    runner.invoke(args=["create-admin", "boss@example.org", "--password", "long enough pw"])
    db.session.execute(sa.update(User).values(is_admin=False))
    db.session.commit()
    result = runner.invoke(args=["create-admin", "boss@example.org"])
    assert "now a coalition admin" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.is_admin))


def test_seed_demo_is_idempotent_and_prints_logins(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.org" in first.output
    counts = (
        db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Organization)),
    )
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts == (
        db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Organization)),
    )
    assert counts[1] >= 4


def test_settings_list_and_set(runner, db):
    from coalition.settings.operations import get_setting

    assert "purge_after_days = 30" in runner.invoke(args=["settings", "list"]).output
    result = runner.invoke(args=["settings", "set", "purge_after_days", "45"])
    assert result.exit_code == 0, result.output
    assert get_setting("purge_after_days") == 45
    bad = runner.invoke(args=["settings", "set", "purge_after_days", "soon"])
    assert bad.exit_code != 0
    wrong_type = runner.invoke(args=["settings", "set", "events_require_approval", "3"])
    assert wrong_type.exit_code != 0
