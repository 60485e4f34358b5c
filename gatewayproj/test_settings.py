"""Settings for the test suite: the real settings with test secrets and fast password hashing."""
import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ENCRYPTION_KEY", "q9Qm0vQ2cZ4hY8mJ1nH6sT3rX7wB5eK0aL2dF4gJ6hM=")
os.environ.setdefault("ALLOW_PRIVATE_PROVIDER_URLS", "true")
# Test runs that share a Redis server never see each other's (or an earlier run's) entries.
os.environ.setdefault("REDIS_KEY_PREFIX", f"gwtest{os.getpid()}")

from gatewayproj.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file rather than SQLite's shared in-memory database, so that gunicorn workers started by the
# multi-worker tests can open the same test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process: several test runs may go on side by side.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "data" / f"test-gateway-{os.getpid()}.db")}  # noqa: F405

# The test process starts in-process gateways; its own collector stays as Python sets it.
GC_TUNING = False

# Static files straight from the apps (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
