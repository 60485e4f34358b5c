"""Factories for test objects; plain functions with sensible defaults."""
from accounts.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


def make_user(email: str, *, password: str = DEFAULT_PASSWORD, **extra) -> User:
    return User.objects.create_user(email=email, password=password, **extra)
