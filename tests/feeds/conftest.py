"""Feed test helpers: parse what we publish with three independent parsers."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar

JS = Path(__file__).parent / "js"


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def vevents(body: bytes) -> list:
    return list(parse(body).walk("VEVENT"))


def expand_with_icaljs(body: bytes, until: datetime) -> list[dict]:
    """Occurrences as Thunderbird's parser (ical.js, run by node) sees them."""
    result = subprocess.run(
        ["node", str(JS / "expand.mjs"), until.isoformat()],
        input=body,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def _wait_for_feed_builds():
    from coalition.feeds import cache

    yield
    cache.wait_for_builds()
