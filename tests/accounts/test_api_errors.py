"""gatewayproj.exceptions: every /api error is JSON in DRF's shape."""
import logging

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound

from gatewayproj.exceptions import api_exception_handler


class SomeView:
    pass


def test_a_service_validation_error_becomes_a_400_with_field_errors():
    response = api_exception_handler(ValidationError({"name": "Too long.", "__all__": "Bad pair."}),
                                     {"view": SomeView()})

    assert response.status_code == 400
    assert response.data == {"name": ["Too long."], "non_field_errors": ["Bad pair."]}


def test_a_plain_validation_error_becomes_non_field_errors():
    response = api_exception_handler(ValidationError("Nope."), {"view": SomeView()})

    assert response.status_code == 400 and response.data == {"non_field_errors": ["Nope."]}


def test_drf_errors_keep_their_status_and_shape():
    response = api_exception_handler(NotFound(), {"view": SomeView()})

    assert response.status_code == 404 and "detail" in response.data


def test_an_unexpected_error_is_a_logged_json_500_that_does_not_echo_its_message(caplog):
    with caplog.at_level(logging.ERROR):
        response = api_exception_handler(RuntimeError("secret-ish detail"), {"view": SomeView()})

    assert response.status_code == 500
    assert response.data == {"detail": "Internal server error."}
    assert "SomeView" in caplog.text


def test_wrong_methods_and_unknown_ids_answer_json(alice_client):
    assert alice_client.put("/api/keys/gateway", {}, format="json").status_code == 405
    missing = alice_client.delete("/api/keys/providers/12345")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
