"""Property-based fuzzing of the public JSON API from its own OpenAPI document (schemathesis).

Every operation of /api/openapi.json gets generated requests, valid and invalid; each answer
must be no 5xx, and its status, content type and body must be the ones the document promises.
Bounded so that the whole file runs in seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coalition.events.models import EventVisibility
from tests.factories import OrganizationFactory, make_event

#: Generated requests per operation and mode.
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def event_id(app, db) -> int:
    org = OrganizationFactory(slug="valley-workers")
    make_event(org, title="Members meeting", visibility=EventVisibility.members)
    return make_event(org, title="May Day march", capacity=50).id


def _run(operation, strategy) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def answers_as_documented(case):
        case.call_and_validate(checks=CHECKS)

    try:
        answers_as_documented()
    except Unsatisfiable:
        # An operation without parameters or body has nothing to make invalid.
        assert not list(operation.iter_parameters()) and not operation.body


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_documented_and_never_5xx(app, event_id, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5  # + POST a session sign-up (coalition.sessions)
    for operation in operations:
        _run(operation, operation.as_strategy(generation_mode=mode))
        if "{event_id}" in operation.path:
            # The same against an event that exists (else nearly every id is a 404).
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters={"event_id": event_id}
            )
            _run(operation, strategy)
