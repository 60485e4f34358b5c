"""Start-up with DEBUG off refuses to run without SECRET_KEY or ENCRYPTION_KEY, naming the variable.

Each case boots Django in a fresh interpreter with a clean environment (the variables set to the
empty string, so a developer's `.env` cannot fill them in: django-environ does not overwrite).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

PROJECT = Path(__file__).resolve().parent.parent
BOOT = "import django; django.setup(); from django.conf import settings; print('booted', settings.DEBUG)"


def boot(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        "DJANGO_SETTINGS_MODULE": "gatewayproj.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'boot.db'}",
        **env,
    }
    return subprocess.run([sys.executable, "-c", BOOT], cwd=tmp_path, env=clean, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(
    "missing, env",
    [
        ("SECRET_KEY", {"SECRET_KEY": "", "ENCRYPTION_KEY": Fernet.generate_key().decode()}),
        ("ENCRYPTION_KEY", {"SECRET_KEY": "s3cret-for-the-boot-test", "ENCRYPTION_KEY": ""}),
    ],
)
def test_production_start_up_without_a_secret_fails_naming_it(tmp_path, missing, env):
    result = boot(tmp_path, DEBUG="false", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr
    assert "booted" not in result.stdout


def test_production_start_up_with_both_secrets_succeeds(tmp_path):
    result = boot(tmp_path, DEBUG="false", SECRET_KEY="s3cret-for-the-boot-test",
                  ENCRYPTION_KEY=Fernet.generate_key().decode())

    assert result.returncode == 0, result.stderr
    assert "booted False" in result.stdout


def test_development_start_up_needs_no_secrets(tmp_path):
    result = boot(tmp_path, DEBUG="true", SECRET_KEY="", ENCRYPTION_KEY="")

    assert result.returncode == 0, result.stderr
    assert "booted True" in result.stdout
