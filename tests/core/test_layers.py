"""Packages depend one way: events ← rsvps ← delegations ← reminders (README/ARCHITECTURE).

A package lower down tells the ones above it what happened through `coalition/signals.py`;
it never imports the code that acts there (operations, notices, receivers, views), not even
inside a function. Models may be imported for relationships. The features built on RSVPs
(sessions, volunteers, rapid response, reach) are above events and rsvps too: what rsvps must
know of them (a series taken only as a whole) it asks through a signal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import coalition

ROOT = Path(coalition.__file__).parent
LAYERS = ["events", "rsvps", "delegations", "reminders"]
ACTING = {"operations", "notices", "receivers", "views", "manage_views", "public_views"}


def _imports(path: Path):
    """Every module a file imports, at the top or inside a function, with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:  # `from coalition.reminders import notices`
                yield f"{node.module}.{alias.name}", node.lineno


def _forbidden(module: str, higher: list[str]) -> bool:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "coalition" or parts[1] not in higher:
        return False
    if parts[1] == "reminders":
        return True  # reminders is the top: nothing below it imports any of it
    return len(parts) > 2 and parts[2] in ACTING


def wrong_way_imports() -> list[str]:
    found = []
    for index, package in enumerate(LAYERS):
        higher = LAYERS[index + 1 :]
        for path in sorted((ROOT / package).glob("*.py")):
            for module, line in _imports(path):
                if _forbidden(module, higher):
                    found.append(f"{path.relative_to(ROOT.parent)}:{line} imports {module}")
    return found


def test_no_package_imports_one_above_it():
    assert wrong_way_imports() == []


#: Features built on RSVPs. Below them, events' and rsvps' code (all but events' pages, where
#: a page shows several packages) never imports theirs: the RSVP form asks the sessions through
#: `rsvp_form_posted` and `rsvp_form_elsewhere`.
BUILT_ON_RSVPS = ["sessions", "volunteers", "rapid", "reach"]


def feature_imports_below() -> list[str]:
    found = []
    for package in ("events", "rsvps"):
        for path in sorted((ROOT / package).glob("*.py")):
            if package == "events" and path.stem in {"manage_views", "public_views", "admin_views"}:
                continue
            for module, line in _imports(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "coalition" and parts[1] in BUILT_ON_RSVPS:
                    found.append(f"{path.relative_to(ROOT.parent)}:{line} imports {module}")
    return found


def test_events_and_rsvps_ask_the_features_above_them_through_signals():
    assert feature_imports_below() == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    fake = tmp_path / "coalition"
    for package in LAYERS:
        (fake / package).mkdir(parents=True)
    (fake / "rsvps" / "operations.py").write_text(
        "def submit():\n    from coalition.reminders.operations import schedule_for_rsvp\n"
    )
    (fake / "events" / "operations.py").write_text(
        "from coalition.reminders import notices\nfrom coalition.rsvps.models import RSVP\n"
    )
    (fake / "delegations" / "operations.py").write_text("import coalition.rsvps.operations\n")
    globals()["ROOT"], saved = fake, ROOT
    try:
        found = wrong_way_imports()
    finally:
        globals()["ROOT"] = saved
    assert found == [
        "coalition/events/operations.py:1 imports coalition.reminders",
        "coalition/events/operations.py:1 imports coalition.reminders.notices",
        "coalition/rsvps/operations.py:2 imports coalition.reminders.operations",
        "coalition/rsvps/operations.py:2 imports coalition.reminders.operations.schedule_for_rsvp",
    ]


def test_reminders_follow_through_signals(app):
    from coalition import signals

    assert signals.rsvp_changed.receivers
    assert signals.event_rescheduled.receivers
    assert signals.event_changed.receivers
    assert signals.seats_changed.receivers


def test_receivers_are_connected_once_however_many_apps(app):
    from coalition import create_app, signals

    def counts():
        return {name: len(signal.receivers) for name, signal in signals._signals.items()}

    before = counts()
    create_app({"CONFIG_NAME": "testing"})
    create_app({"CONFIG_NAME": "testing"})
    assert counts() == before
    assert before["rsvp-form-posted"] == before["place-shown-to-attendee"] == 1
