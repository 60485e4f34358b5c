import pytest


@pytest.mark.django_db
def test_the_project_boots_and_a_user_can_be_created(alice):
    assert alice.email == "alice@example.com"
    assert alice.check_password("correct-horse-battery-staple-42")
