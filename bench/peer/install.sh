#!/usr/bin/env bash
# Install the LiteLLM proxy (the peer we benchmark against) into its own virtualenv.
# Binary wheels only; the venv is refused if it gained a `.pth` file not in check_pth.py's
# allow-list (LiteLLM 1.82.7/1.82.8 were compromised through one).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${PEER_VENV:-$HERE/../.peer-venv}"
PYTHON="${PYTHON:-python3}"
VERSION="1.108.7"
MARK="$VENV/.installed-litellm-$VERSION"

if [ -d "$VENV" ]; then
    # Checked before the venv's interpreter runs again: a planted .pth runs at interpreter start.
    "$PYTHON" "$HERE/check_pth.py" "$VENV"
fi
if [ -f "$MARK" ]; then
    echo "LiteLLM $VERSION already installed in $VENV"
    exit 0
fi
"$PYTHON" -m venv "$VENV"
printf '*\n' > "$VENV/.gitignore"
"$PYTHON" "$HERE/check_pth.py" "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: \
    "litellm[proxy]==$VERSION"
"$PYTHON" "$HERE/check_pth.py" "$VENV"
touch "$MARK"
echo "LiteLLM $VERSION installed in $VENV"
