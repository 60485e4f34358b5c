"""The peer venv is refused when it holds a `.pth` file that is not on the allow-list."""
from pathlib import Path

from bench.peer.check_pth import ALLOWED, pth_problems

DISTUTILS_LINE = next(iter(ALLOWED["distutils-precedence.pth"]))


def _venv(tmp_path: Path) -> Path:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "distutils-precedence.pth").write_text(DISTUTILS_LINE + "\n")
    return tmp_path


def test_a_venv_with_only_setuptools_pth_passes(tmp_path):
    assert pth_problems(_venv(tmp_path)) == []


def test_an_unexpected_pth_file_is_refused(tmp_path):
    venv = _venv(tmp_path)
    (venv / "lib" / "python3.11" / "site-packages" / "litellm_init.pth").write_text("import os\n")
    problems = pth_problems(venv)
    assert len(problems) == 1
    assert "litellm_init.pth" in problems[0]


def test_an_allowed_name_with_other_code_is_refused(tmp_path):
    venv = _venv(tmp_path)
    (venv / "lib" / "python3.11" / "site-packages" / "distutils-precedence.pth").write_text("import base64; exec(1)\n")
    assert "unexpected code" in pth_problems(venv)[0]


def test_a_directory_without_site_packages_is_refused(tmp_path):
    assert pth_problems(tmp_path) == [f"no site-packages under {tmp_path}"]
