"""Public forms are rate limited per client."""

import pytest


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True}


def test_password_reset_form_answers_429_after_too_many_posts(client):
    statuses = [
        client.submit("/password/forgot", {"email": "a@example.org"}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
