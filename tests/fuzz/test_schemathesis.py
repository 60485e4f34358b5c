"""Schemathesis against /api/schema/: every operation, authenticated, then stateful sequences.

The WSGI application runs in-process (no server). Each operation gets generated requests, valid
and invalid, sent with a fresh user's access JWT (and without it: schemathesis checks that auth
is enforced); every answer must be free of server errors and conform to the schema (status
code, content type, body, headers). The state machine then follows the schema's links (create a
key, then delete it by the id in the answer). Generation is derandomized, so CI runs are
repeatable; the budgets keep the whole file to about half a minute.
"""
from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis.stateful import run_state_machine_as_test
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from accounts.models import User
from gatewayproj.wsgi import application
from tests.factories import make_user

EXAMPLES_PER_OPERATION = 40
STATEFUL_EXAMPLES = 15
STATEFUL_STEPS = 8

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# What is checked is the answer: no server error; status code, content type, body and headers as
# documented; auth enforced. Not checked: whether the API is exactly as strict as its schema.
# DRF coerces `"5"` to 5 and `0` to `"0"` (schema-invalid input accepted), and the contract
# answers 400 to schema-valid input refused on its merits (a weak password, a taken email,
# somebody else's refresh token), which no schema can express.
EXCLUDED_CHECKS = [negative_data_rejection, positive_data_acceptance]
FUZZ_SETTINGS = hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the connection after each request; the test's transaction lives on
    it. Django's own test client unhooks the same signal handlers for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


FUZZ_USER_ID = 424242
# Minted before any test runs (schemathesis asks for auth while collecting), for the user that
# the `fuzz_user` fixture creates with this id.
FUZZ_TOKEN = str(AccessToken.for_user(User(id=FUZZ_USER_ID)))


@schema.auth(refresh_interval=None, retry_on=[])
class FuzzUserJWT:
    """The fuzz user's access JWT; schemathesis also calls without it, to check that every
    operation that declares the scheme refuses an anonymous caller."""

    def get(self, case, context):
        return FUZZ_TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def fuzz_user(db, keep_test_connection):
    return make_user("fuzz@example.com", id=FUZZ_USER_ID)


@schema.parametrize()
@hypothesis.settings(FUZZ_SETTINGS, max_examples=EXAMPLES_PER_OPERATION)
def test_every_operation_answers_without_server_errors_and_as_documented(case, fuzz_user):
    case.call_and_validate(excluded_checks=EXCLUDED_CHECKS)


def test_linked_operations_in_sequence_answer_as_documented(fuzz_user):
    workflow = schema.as_state_machine()

    class Workflow(workflow):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, additional_checks=additional_checks, excluded_checks=EXCLUDED_CHECKS,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    run_state_machine_as_test(
        Workflow,
        settings=hypothesis.settings(FUZZ_SETTINGS, max_examples=STATEFUL_EXAMPLES,
                                     stateful_step_count=STATEFUL_STEPS),
    )


def test_the_schema_links_each_key_create_to_its_delete():
    """The links come from keys.schema_links.add_key_links, a drf-spectacular postprocessing hook."""
    paths = schema.raw_schema["paths"]
    for collection in ("/api/keys/gateway", "/api/keys/providers"):
        links = paths[collection]["post"]["responses"]["201"].get("links", {})
        assert links.get("DeleteKey", {}).get("parameters") == {"key_id": "$response.body#/id"}, collection
    assert {"DELETE /api/keys/gateway/{key_id}", "DELETE /api/keys/providers/{key_id}"} <= (
        schema.operations_with_incoming_links())
