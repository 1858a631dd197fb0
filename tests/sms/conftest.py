import pytest

from tests.sms.fake_provider import FakeProvider


@pytest.fixture(scope="session")
def provider_server():
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def provider(provider_server):
    """The fake Twilio server's state, emptied for this test."""
    provider_server.state.reset()
    return provider_server.state


@pytest.fixture
def app_overrides(provider_server, request):
    """The fake provider's settings, and a test's own merged over them
    (`@pytest.mark.parametrize("app_overrides", [{...}], indirect=True)`)."""
    return {**provider_server.config(), "SMS_TIMEOUT": 2, **getattr(request, "param", {})}


@pytest.fixture(autouse=True)
def _test_notice(channel_test_notice):
    return channel_test_notice
