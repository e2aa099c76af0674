#!/usr/bin/env bash
# Install palermo with its test tools and run the whole test suite: lint, types, tests.
# Starts the local PostgreSQL server when it is down (the tests use a real one on 127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium for the web tests"
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } \
        || { echo "cannot install chromium (run as root, or install it)"; exit 1; }
fi

.venv/bin/ruff check src tests bench scripts
.venv/bin/mypy
.venv/bin/pytest "$@"
