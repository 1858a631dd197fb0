"""The README's scrape config and alert rules are valid YAML and name metrics /metrics has."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from coalition.rapid import operations as rapid_ops
from tests.rapid.conftest import add_responder, alert_input, phone

README = Path(__file__).resolve().parents[2] / "README.md"


def _metrics_section() -> str:
    text = README.read_text()
    start = text.index("### Metrics (Prometheus)")
    return text[start : text.index("\n## ", start)]


def _yaml_blocks() -> list:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", _metrics_section(), re.S)]


def test_the_scrape_config_sends_the_token_to_metrics():
    (config,) = [b for b in _yaml_blocks() if "scrape_configs" in b]
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"]
    assert job["static_configs"][0]["targets"]


def test_every_metric_the_readme_names_is_in_the_output(db, scrape, org, dispatcher):
    add_responder(org, phone=phone(1))
    rapid_ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    result = scrape()
    names = {s.name for s in result.samples} | set(result.families)
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    for family in result.families.values():
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ())}

    (rules,) = [b for b in _yaml_blocks() if "groups" in b]
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert len(alerts) >= 3
    for rule in alerts:
        assert rule["alert"] and rule["annotations"]["summary"]
        used = set(re.findall(r"\bcoalition_\w+", rule["expr"]))
        assert used and used <= names, (rule["alert"], used - names)
    mentioned = set(re.findall(r"\bcoalition_[a-z_]+", _metrics_section()))
    assert mentioned - names == set()
