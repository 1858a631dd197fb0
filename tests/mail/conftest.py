import pytest


@pytest.fixture(autouse=True)
def _test_notice(channel_test_notice):
    return channel_test_notice
