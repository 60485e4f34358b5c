"""Refuse a peer virtualenv whose site-packages holds an unexpected `.pth` file.

A `.pth` file runs its `import` lines at every interpreter start: LiteLLM 1.82.7 and 1.82.8 were
compromised through one. This check reads the venv's files from the outside (it must never be run
by the venv's own interpreter) and exits non-zero on any `.pth` not in ALLOWED, or on an allowed
one whose executable lines differ from what its package ships.

Usage: python bench/peer/check_pth.py <venv dir>
"""
from __future__ import annotations

import sys
from pathlib import Path

# name -> the executable (`import ...`) lines it may hold; path-only files list none.
ALLOWED: dict[str, frozenset[str]] = {
    "distutils-precedence.pth": frozenset(
        {
            "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local';"
            " enabled and __import__('_distutils_hack').add_shim(); ",
            "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local';"
            " enabled and __import__('_distutils_hack').add_shim();",
        }
    ),
}


def pth_problems(venv: Path) -> list[str]:
    """Every reason to refuse `venv`; empty when its `.pth` files are all expected."""
    site_dirs = sorted(venv.glob("lib/python3*/site-packages"))
    if not site_dirs:
        return [f"no site-packages under {venv}"]
    problems = []
    for site in site_dirs:
        for pth in sorted(site.glob("*.pth")):
            if pth.name not in ALLOWED:
                problems.append(f"unexpected {pth}")
                continue
            for line in pth.read_text(errors="replace").splitlines():
                if line.startswith(("import ", "import\t")) and line not in ALLOWED[pth.name]:
                    problems.append(f"unexpected code in {pth}: {line[:120]!r}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = pth_problems(Path(argv[1]))
    for problem in problems:
        print(f"refusing the peer venv: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
