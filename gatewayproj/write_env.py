"""Write `.env` with freshly generated SECRET_KEY and ENCRYPTION_KEY, once.

`make run` calls this; an existing `.env` is kept as it is, so the keys that encrypt stored
provider keys survive every restart. Run as `python -m gatewayproj.write_env [path]`.
"""
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def write_env(path: Path) -> bool:
    if path.exists():
        return False
    path.write_text(
        "# Generated once by `make run`; keep it. Losing ENCRYPTION_KEY loses every stored provider key.\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    print(f"wrote {target}" if write_env(target) else f"kept existing {target}")
