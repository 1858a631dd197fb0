"""An app with /metrics on (a bearer token) and texts through the fake Twilio server."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.rapid.conftest import dispatcher, org  # noqa: F401
from tests.sms.conftest import provider, provider_server  # noqa: F401

TOKEN = "metrics-token-for-tests-0123456789"
PRICE = 0.0083


@pytest.fixture
def app_overrides(provider_server):  # noqa: F811  (the session's fake provider)
    return {
        **provider_server.config(),
        "SMS_TIMEOUT": 2,
        "METRICS_TOKEN": TOKEN,
        "SMS_SEGMENT_PRICE": PRICE,
    }


class Scrape:
    """One /metrics answer, parsed by prometheus-client's own parser."""

    def __init__(self, text: str):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, name: str, *, default: float | None = None, **labels) -> float:
        """The sample's value (summed over the labels not given)."""
        found = [
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        if not found and default is not None:
            return default  # a series of this process that no request has made yet
        assert found, f"no sample {name} {labels}"
        return sum(found)

    def has(self, name: str, **labels) -> bool:
        return any(
            s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
            for s in self.samples
        )


@pytest.fixture
def scrape(client):
    def scrape_once(**headers) -> Scrape:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
        assert response.status_code == 200, response.status_code
        return Scrape(response.get_data(as_text=True))

    return scrape_once


@pytest.fixture(autouse=True)
def _test_notice(channel_test_notice):
    """These tests queue made-up messages as kind "test" (tests/conftest.py)."""
    return channel_test_notice
