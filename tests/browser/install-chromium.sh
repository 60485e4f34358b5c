#!/bin/sh
# Headless Chromium for the browser tests: Debian's package (never a downloaded browser build).
set -e
command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)
